/* A delay/loss line for benchmarks/wan.py: holds every packet of one NFQUEUE queue for a fixed
 * time, dropping a random fraction, then lets it go on (the kernel then routes it and the rate
 * limiter, tbf, acts on it).  Built at run time by wan.py; needs libnetfilter-queue-dev.
 *
 *   delayline QUEUE DELAY_US LOSS_PPM SEED
 *
 * The delay is constant, so packets leave in the order they arrived: the held packets form a
 * FIFO, and one batch verdict (NF_ACCEPT for every id up to the newest due one) releases all
 * that are due.  Only packet metadata is copied to user space.  Exits on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define RING (1u << 20)

struct held { uint32_t id; uint64_t due_ns; };

static struct held ring[RING];
static uint32_t head, tail; /* head: oldest held; tail: next free */
static uint64_t delay_ns;
static uint32_t loss_ppm;
static uint64_t rng_state;
static volatile sig_atomic_t stop;
static unsigned long long passed, dropped, overflow;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void on_signal(int sig) { (void)sig; stop = 1; }

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
    (void)msg; (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    if (loss_ppm && rnd() % 1000000u < loss_ppm) {
        dropped++;
        return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
    }
    if (tail - head >= RING) { /* cannot hold more: let it through undelayed */
        overflow++;
        return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
    }
    ring[tail % RING].id = id;
    ring[tail % RING].due_ns = now_ns() + delay_ns;
    tail++;
    return 0;
}

static void release_due(struct nfq_q_handle *qh) {
    uint64_t now = now_ns();
    uint32_t last = head;
    while (last != tail && ring[last % RING].due_ns <= now) last++;
    if (last == head) return;
    /* Every id up to this one is either due now or was dropped already. */
    nfq_set_verdict_batch(qh, ring[(last - 1) % RING].id, NF_ACCEPT);
    passed += last - head;
    head = last;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s QUEUE DELAY_US LOSS_PPM SEED\n", argv[0]);
        return 2;
    }
    uint16_t queue = (uint16_t)atoi(argv[1]);
    delay_ns = strtoull(argv[2], NULL, 10) * 1000ull;
    loss_ppm = (uint32_t)strtoul(argv[3], NULL, 10);
    rng_state = strtoull(argv[4], NULL, 10) | 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, queue, &on_packet, NULL);
    if (!qh) { perror("nfq_create_queue"); return 1; }
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(qh, 200000);
    int fd = nfq_fd(h);
    nfnl_rcvbufsiz(nfq_nfnlh(h), 64 * 1024 * 1024);
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
    printf("ready\n");
    fflush(stdout);

    static char buf[65536] __attribute__((aligned));
    while (!stop) {
        struct timespec wait = {0, 50 * 1000000};
        if (head != tail) {
            uint64_t now = now_ns(), due = ring[head % RING].due_ns;
            uint64_t left = due > now ? due - now : 0;
            wait.tv_sec = (time_t)(left / 1000000000ull);
            wait.tv_nsec = (long)(left % 1000000000ull);
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = ppoll(&pfd, 1, &wait, NULL);
        if (ready < 0 && errno != EINTR) { perror("ppoll"); break; }
        if (ready > 0) {
            for (int i = 0; i < 256; i++) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n <= 0) break;
                nfq_handle_packet(h, buf, (int)n);
            }
        }
        release_due(qh);
    }
    fprintf(stderr, "delayline: %llu passed, %llu dropped, %llu undelayed (ring full)\n",
            passed, dropped, overflow);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
