"""Sans-I/O protocol modules: one per service.

Each module turns "upload these bytes" into :class:`~asyncmedia.protocols.http.HTTPRequest`
descriptions and turns :class:`~asyncmedia.protocols.http.HTTPResponse` objects into results or
typed errors.  Nothing here opens a socket, sleeps or reads a file, so every rule of the wire
can be tested without a network.

Modules: :mod:`.twitter_v1` (media upload, alt text, legacy update_with_media), :mod:`.twitpic`,
:mod:`.twitrpix`, :mod:`.statusnet`; shared: :mod:`.http` (request/response values, error
deciphering), :mod:`.media_rules` (Twitter size and category rules), :mod:`.xml_bodies`
(safe XML parsing with defusedxml, XML→dict in the JSON answers' shape).
"""
