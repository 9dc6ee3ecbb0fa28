"""Sans-I/O protocol modules: one per service.

Each module turns "upload these bytes" into :class:`~asyncmedia.protocols.http.HTTPRequest`
descriptions and turns :class:`~asyncmedia.protocols.http.HTTPResponse` objects into results or
typed errors.  Nothing here opens a socket, sleeps or reads a file, so every rule of the wire
can be tested without a network.
"""
