// The practical floor of the 50 ms benchmark on this machine: the least a client can do against
// `clearinghouse eval test-server`. One thread, one epoll loop, N keep-alive HTTP/1.1
// connections opened at once, one chat-completions request in flight on each until `total`
// replies are in. No dataset, no log, no JSON parsing, no scoring, no retries: a reply counts when
// it is a 200 whose body holds "ANSWER". `bench/evals/run.py` compiles and runs it beside
// `eval run` so both see the same server at the same time.
//
//   cc -O2 -o floor_client floor_client.c && ./floor_client PORT CONNECTIONS TOTAL
//
// Prints "REPLIES SECONDS" (seconds from its own start to the last reply); exits 1 on any failure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int sent_first;
    int have;
    char in[16384];
} connection;

static int issued, answered, total;

static double since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "floor_client: %s (%s); %d of %d answered\n", what, strerror(errno), answered, total);
    exit(1);
}

// Sends the next request on `c`, if any is left. The body has the shape `eval run` sends for a
// four-choice sample.
static void send_next(connection *c) {
    if (issued >= total) return;
    issued += 1;
    char body[512], request[1024];
    int body_length = snprintf(body, sizeof body,
        "{\"messages\":[{\"content\":\"Answer the following multiple choice question. The entire content of your "
        "response should be of the following format: 'ANSWER: $LETTER' (without quotes) where LETTER is one of "
        "A,B,C,D.\\n\\nQuestion %d: which of these ports is usually SSH?\\n\\nA) 21\\nB) 22\\nC) 23\\nD) 25\","
        "\"role\":\"user\"}],\"model\":\"bench\"}", issued);
    int length = snprintf(request, sizeof request,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer bench\r\nContent-Length: %d\r\n\r\n%s", body_length, body);
    // A few hundred bytes always fit an empty socket buffer; a short write would be a bug here.
    if (write(c->fd, request, (size_t)length) != length) fail("short write");
}

// Consumes every complete response in `c->in`, sending the next request for each.
static void read_replies(connection *c) {
    for (;;) {
        char *end = memmem(c->in, (size_t)c->have, "\r\n\r\n", 4);
        if (!end) return;
        *end = '\0';
        if (strncmp(c->in, "HTTP/1.1 200", 12) != 0) fail("reply was not 200");
        char *field = strcasestr(c->in, "\r\ncontent-length:");
        if (!field) fail("reply without Content-Length");
        int body_length = atoi(field + 17);
        int needed = (int)(end + 4 - c->in) + body_length;
        *end = '\r';
        if (c->have < needed) return;
        if (!memmem(end + 4, (size_t)body_length, "ANSWER", 6)) fail("reply without an answer");
        memmove(c->in, c->in + needed, (size_t)(c->have - needed));
        c->have -= needed;
        answered += 1;
        send_next(c);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor_client PORT CONNECTIONS TOTAL\n");
        return 2;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int port = atoi(argv[1]), count = atoi(argv[2]);
    total = atoi(argv[3]);
    if (port <= 0 || port > 65535 || count <= 0 || total <= 0) {
        fprintf(stderr, "floor_client: PORT, CONNECTIONS and TOTAL must be positive\n");
        return 2;
    }
    if (count > total) count = total;
    int poller = epoll_create1(0);
    if (poller < 0) fail("epoll_create1");
    connection *connections = calloc((size_t)count, sizeof *connections);
    if (!connections) fail("calloc");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;
        if (fd < 0) fail("socket");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 && errno != EINPROGRESS) fail("connect");
        connections[i].fd = fd;
        struct epoll_event interest = {.events = EPOLLOUT | EPOLLIN, .data.ptr = &connections[i]};
        if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &interest) != 0) fail("epoll_ctl");
    }
    struct epoll_event events[1024];
    while (answered < total) {
        int ready = epoll_wait(poller, events, 1024, 60000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) fail("no progress for 60 s");
        for (int i = 0; i < ready; i++) {
            connection *c = events[i].data.ptr;
            if (events[i].events & (EPOLLERR | EPOLLHUP)) fail("connection failed");
            if ((events[i].events & EPOLLOUT) && !c->sent_first) {
                c->sent_first = 1;
                struct epoll_event interest = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(poller, EPOLL_CTL_MOD, c->fd, &interest) != 0) fail("epoll_ctl");
                send_next(c);
            }
            if (events[i].events & EPOLLIN) {
                ssize_t got = read(c->fd, c->in + c->have, sizeof c->in - (size_t)c->have);
                if (got < 0 && errno == EAGAIN) continue;
                if (got <= 0) fail("connection closed");
                c->have += (int)got;
                read_replies(c);
            }
        }
    }
    printf("%d %.6f\n", answered, since(&start));
    return 0;
}
