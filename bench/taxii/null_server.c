// A TAXII endpoint that stores nothing, for `bench.py --target null`: the ceiling the Python
// client (taxii2-client) puts on any server's ingest rate. One thread, one connection at a time
// (the client is sequential), keep-alive. GET answers a writable collection; POST answers at once
// with a complete status resource listing one success per object posted (counted by their
// "spec_version" members), so the client parses a status of the same size a real server sends.
//
//   cc -O2 -o null_server null_server.c && ./null_server PORT
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { request_capacity = 64 << 20, status_capacity = 64 << 20 };

static void send_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t wrote = write(fd, bytes, length);
        if (wrote <= 0) return;
        bytes += wrote;
        length -= (size_t)wrote;
    }
}

static void answer(int fd, const char *status_line, const char *body, size_t length) {
    char head[256];
    int head_length = snprintf(head, sizeof head,
        "HTTP/1.1 %s\r\nContent-Type: application/taxii+json;version=2.1\r\nContent-Length: %zu\r\n\r\n",
        status_line, length);
    send_all(fd, head, (size_t)head_length);
    send_all(fd, body, length);
}

static size_t count(const char *haystack, size_t length, const char *needle) {
    size_t found = 0, needle_length = strlen(needle);
    const char *at = haystack, *end = haystack + length;
    while ((at = memmem(at, (size_t)(end - at), needle, needle_length))) {
        found += 1;
        at += needle_length;
    }
    return found;
}

static size_t status_for(char *out, size_t objects) {
    size_t n = (size_t)sprintf(out,
        "{\"id\":\"2d086da7-4bdc-4f91-900e-d77486753710\",\"status\":\"complete\","
        "\"request_timestamp\":\"2024-01-01T00:00:00.000000Z\",\"total_count\":%zu,\"success_count\":%zu,"
        "\"failure_count\":0,\"pending_count\":0,\"successes\":[", objects, objects);
    for (size_t i = 0; i < objects && n < status_capacity - 256; i++) {
        n += (size_t)sprintf(out + n, "%s{\"id\":\"indicator--%08zx-0000-4000-8000-000000000000\","
                             "\"version\":\"2024-01-01T00:00:00.000Z\"}", i ? "," : "", i);
    }
    n += (size_t)sprintf(out + n, "]}");
    return n;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: null_server PORT\n");
        return 2;
    }
    char *end = NULL;
    long port = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "null_server: PORT must be a number from 1 to 65535\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);  // a client that goes away mid-answer ends that connection, not the server
    char *in = malloc(request_capacity), *status = malloc(status_capacity);
    if (!in || !status) {
        perror("null_server");
        return 1;
    }
    const char *collection = "{\"id\":\"c\",\"title\":\"null\",\"can_read\":true,\"can_write\":true,"
                             "\"media_types\":[\"application/stix+json;version=2.1\"]}";
    int listener = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0) {
        perror("null_server");
        return 1;
    }
    printf("listening on %s\n", argv[1]);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        size_t have = 0;
        for (;;) {
            char *end;
            ssize_t got = 1;
            while (!(end = memmem(in, have, "\r\n\r\n", 4)) && have < request_capacity &&
                   (got = read(fd, in + have, request_capacity - have)) > 0) have += (size_t)got;
            if (!end) break;
            *end = '\0';
            char *field = strcasestr(in, "\r\ncontent-length:");
            size_t needed = (size_t)(end + 4 - in) + (field ? strtoul(field + 17, NULL, 10) : 0);
            *end = '\r';
            if (needed > request_capacity) break;
            while (have < needed && (got = read(fd, in + have, request_capacity - have)) > 0) have += (size_t)got;
            if (have < needed) break;
            if (strncmp(in, "POST", 4) == 0) {
                size_t body_start = (size_t)(end + 4 - in);
                answer(fd, "202 Accepted", status, status_for(status, count(in + body_start, needed - body_start, "\"spec_version\"")));
            } else {
                answer(fd, "200 OK", collection, strlen(collection));
            }
            memmove(in, in + needed, have - needed);
            have -= needed;
        }
        close(fd);
    }
}
