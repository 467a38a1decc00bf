// The anchors' load generators (scripts/bench/anchors.ts), compiled by the bench with `cc -O2`
// into .bench/: SSE readers and a publisher in C, since JavaScript readers on these two cores
// would be the bottleneck, not the servers under test. Loopback only; every run is bounded.
//
//   loadgen sse PORT PATH COUNT [TOPICS]
//     COUNT connections to 127.0.0.1:PORT, each `GET PATH` with `Accept: text/event-stream`
//     (`{}` in PATH is replaced by the connection's index modulo TOPICS). Counts the SSE events
//     received (lines starting `data:`). Prints `ready` once every connection got its first
//     bytes; on each stdin line `mark` prints `count N` (events so far, all connections); exits
//     when stdin closes. A connection that closes or fails is counted in `closed N` on `mark`.
//   loadgen pub PORT PATH RATE SECONDS
//     POSTs a ~100-byte JSON body to PATH over one keep-alive connection, one request in flight,
//     RATE per second (0: as fast as answers come) for SECONDS. Prints `sent N` at the end.
//   loadgen ws PORT PATH SEND LINE END
//     One WebSocket client of PATH: sends SEND as a text message once open (none when empty),
//     prints `open` once the server confirmed it (a message containing `"subscribed"`, or at once
//     when SEND is empty), counts the messages containing LINE (every one when empty) until one
//     contains END or the server closes, then prints `lines N seconds S` (first line to last).
//     Gives up after 300 s.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(int port, int nonblocking) {
  int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static void write_all(int fd, const char *text, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, text, length);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    text += n;
    length -= (size_t)n;
  }
}

struct reader {
  int fd;
  int got_bytes;
  int closed;
  int sent;
  unsigned char tail; // the last byte of the previous read, for a `data:` at a read boundary
  int partial;        // bytes of "data:" matched at the end of the previous read
};

static int sse(int argc, char **argv) {
  if (argc < 5) return 2;
  int port = atoi(argv[2]);
  const char *path = argv[3];
  int count = atoi(argv[4]);
  int topics = argc > 5 ? atoi(argv[5]) : 1;
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  struct reader *readers = calloc((size_t)count, sizeof *readers);
  int ep = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.u64 = (uint64_t)-1};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &event);
  for (int i = 0; i < count; i++) {
    readers[i].fd = connect_to(port, 1);
    readers[i].tail = '\n';
    if (readers[i].fd < 0) {
      fprintf(stderr, "connection %d failed: %s\n", i, strerror(errno));
      return 1;
    }
    struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, readers[i].fd, &e);
  }
  long long events = 0;
  int ready = 0, closed = 0, announced = 0;
  static char buffer[1 << 16];
  struct epoll_event happened[256];
  double deadline = now_s() + 120;
  for (;;) {
    int n = epoll_wait(ep, happened, 256, 1000);
    if (!announced && now_s() > deadline) {
      fprintf(stderr, "only %d of %d connections got bytes in 120 s\n", ready, count);
      return 1;
    }
    for (int k = 0; k < n; k++) {
      uint64_t id = happened[k].data.u64;
      if (id == (uint64_t)-1) {
        ssize_t got = read(0, buffer, sizeof buffer);
        if (got <= 0) return 0;
        if (memmem(buffer, (size_t)got, "mark", 4)) {
          printf("count %lld closed %d\n", events, closed);
          fflush(stdout);
        }
        continue;
      }
      struct reader *r = &readers[id];
      if (!r->sent && (happened[k].events & EPOLLOUT)) {
        char request[1024];
        char target[512];
        const char *brace = strstr(path, "{}");
        if (brace) {
          snprintf(target, sizeof target, "%.*s%d%s", (int)(brace - path), path,
                   (int)(id % (uint64_t)topics), brace + 2);
        } else {
          snprintf(target, sizeof target, "%s", path);
        }
        int length = snprintf(request, sizeof request,
                              "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Accept: text/event-stream\r\n\r\n",
                              target);
        write_all(r->fd, request, (size_t)length);
        r->sent = 1;
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = id};
        epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &e);
      }
      if (!(happened[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t got = read(r->fd, buffer, sizeof buffer);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
        close(r->fd);
        r->closed = 1;
        closed++;
        continue;
      }
      if (!r->got_bytes) {
        r->got_bytes = 1;
        if (++ready == count) {
          printf("ready\n");
          fflush(stdout);
          announced = 1;
        }
      }
      // Count "data:" at the start of a line, across read boundaries.
      static const char needle[] = "data:";
      int matched = r->partial;
      unsigned char previous = r->tail;
      for (ssize_t i = 0; i < got; i++) {
        unsigned char c = (unsigned char)buffer[i];
        if (matched > 0) {
          if (c == (unsigned char)needle[matched]) {
            if (++matched == 5) {
              events++;
              matched = 0;
            }
          } else {
            matched = 0;
          }
        } else if (c == 'd' && previous == '\n') {
          matched = 1;
        }
        previous = c;
      }
      r->partial = matched;
      r->tail = previous;
    }
  }
}

static int pub(int argc, char **argv) {
  if (argc < 6) return 2;
  int port = atoi(argv[2]);
  const char *path = argv[3];
  double rate = atof(argv[4]);
  double seconds = atof(argv[5]);
  int fd = connect_to(port, 0);
  if (fd < 0) {
    fprintf(stderr, "publisher: cannot connect: %s\n", strerror(errno));
    return 1;
  }
  static char buffer[1 << 16];
  char body[256];
  char request[1024];
  double start = now_s();
  long long sent = 0;
  size_t have = 0;
  while (now_s() - start < seconds) {
    if (rate > 0) {
      double due = start + sent / rate;
      double wait = due - now_s();
      if (wait > 0) {
        struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
    int body_length = snprintf(body, sizeof body,
                               "{\"n\":%lld,\"stage\":\"publishing\",\"pad\":\"%s\"}", sent + 1,
                               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    int length = snprintf(request, sizeof request,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                          path, body_length, body);
    write_all(fd, request, (size_t)length);
    sent++;
    int reconnect = 0;
    // One answer: headers, then Content-Length bytes of body (none for 204).
    for (;;) {
      char *end = memmem(buffer, have, "\r\n\r\n", 4);
      if (end) {
        size_t head = (size_t)(end - buffer) + 4;
        long body_bytes = 0;
        char *cl = memmem(buffer, head, "ontent-Length:", 14);
        if (!cl) cl = memmem(buffer, head, "ontent-length:", 14);
        if (cl) body_bytes = strtol(cl + 14, NULL, 10);
        if (strncmp(buffer, "HTTP/1.1 2", 10) != 0) {
          fprintf(stderr, "publisher: %.*s\n", (int)(strchr(buffer, '\r') - buffer), buffer);
          return 1;
        }
        // nginx closes a keep-alive connection after 1,000 requests (keepalive_requests).
        if (memmem(buffer, head, "onnection: close", 16)) reconnect = 1;
        if (have >= head + (size_t)body_bytes) {
          size_t used = head + (size_t)body_bytes;
          memmove(buffer, buffer + used, have - used);
          have -= used;
          break;
        }
      }
      ssize_t got = read(fd, buffer + have, sizeof buffer - have);
      if (got <= 0) {
        fprintf(stderr, "publisher: the server closed the connection\n");
        return 1;
      }
      have += (size_t)got;
    }
    if (reconnect) {
      close(fd);
      have = 0;
      fd = connect_to(port, 0);
      if (fd < 0) {
        fprintf(stderr, "publisher: cannot reconnect: %s\n", strerror(errno));
        return 1;
      }
    }
  }
  printf("sent %lld\n", sent);
  return 0;
}

static void ws_send(int fd, int opcode, const char *payload, size_t length) {
  unsigned char head[14] = {(unsigned char)(0x80 | opcode)};
  size_t at = 2;
  if (length < 126) {
    head[1] = (unsigned char)(0x80 | length);
  } else {
    head[1] = 0x80 | 126;
    head[2] = (unsigned char)(length >> 8);
    head[3] = (unsigned char)length;
    at = 4;
  }
  unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  memcpy(head + at, mask, 4);
  at += 4;
  char *frame = malloc(at + length);
  memcpy(frame, head, at);
  for (size_t i = 0; i < length; i++) frame[at + i] = (char)(payload[i] ^ mask[i % 4]);
  write_all(fd, frame, at + length);
  free(frame);
}

static int ws(int argc, char **argv) {
  if (argc < 7) return 2;
  int port = atoi(argv[2]);
  const char *path = argv[3], *send_text = argv[4], *line = argv[5], *end = argv[6];
  int fd = connect_to(port, 0);
  if (fd < 0) {
    fprintf(stderr, "ws: cannot connect: %s\n", strerror(errno));
    return 1;
  }
  struct timeval limit = {.tv_sec = 300};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  char request[1024];
  int length = snprintf(request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n",
                        path, port);
  write_all(fd, request, (size_t)length);
  size_t cap = 1 << 20, have = 0;
  char *buffer = malloc(cap);
  // The handshake's answer: headers up to the blank line; frames may follow in the same read.
  for (;;) {
    ssize_t got = read(fd, buffer + have, cap - have);
    if (got <= 0) {
      fprintf(stderr, "ws: no handshake answer\n");
      return 1;
    }
    have += (size_t)got;
    char *blank = memmem(buffer, have, "\r\n\r\n", 4);
    if (!blank) continue;
    if (strncmp(buffer, "HTTP/1.1 101", 12) != 0) {
      fprintf(stderr, "ws: %.*s\n", (int)(strchr(buffer, '\r') - buffer), buffer);
      return 1;
    }
    size_t head = (size_t)(blank - buffer) + 4;
    memmove(buffer, buffer + head, have - head);
    have -= head;
    break;
  }
  int open = 0;
  if (*send_text) {
    ws_send(fd, 1, send_text, strlen(send_text));
  } else {
    printf("open\n");
    fflush(stdout);
    open = 1;
  }
  long long lines = 0;
  double first = 0, last = 0;
  for (;;) {
    // Whole frames in the buffer.
    size_t at = 0;
    int done = 0;
    while (have - at >= 2) {
      unsigned char *f = (unsigned char *)buffer + at;
      int opcode = f[0] & 0x0f;
      size_t payload = f[1] & 0x7f, head = 2;
      if (payload == 126) {
        if (have - at < 4) break;
        payload = ((size_t)f[2] << 8) | f[3];
        head = 4;
      } else if (payload == 127) {
        if (have - at < 10) break;
        payload = 0;
        for (int i = 0; i < 8; i++) payload = (payload << 8) | f[2 + i];
        head = 10;
      }
      if (have - at < head + payload) break;
      char *text = (char *)f + head;
      if (opcode == 8) {
        done = 1;
        break;
      }
      if (opcode == 9) ws_send(fd, 10, text, payload);
      if (opcode == 1 || opcode == 0) {
        if (!open && memmem(text, payload, "\"subscribed\"", 12)) {
          printf("open\n");
          fflush(stdout);
          open = 1;
        } else if (*end && memmem(text, payload, end, strlen(end))) {
          done = 1;
          break;
        } else if (!*line || memmem(text, payload, line, strlen(line))) {
          last = now_s();
          if (lines++ == 0) first = last;
        }
      }
      at += head + payload;
    }
    memmove(buffer, buffer + at, have - at);
    have -= at;
    if (done) break;
    if (have == cap) buffer = realloc(buffer, cap *= 2);
    ssize_t got = read(fd, buffer + have, cap - have);
    if (got <= 0) break;
    have += (size_t)got;
  }
  printf("lines %lld seconds %.6f\n", lines, last - first);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "sse") == 0) return sse(argc, argv);
  if (argc > 1 && strcmp(argv[1], "pub") == 0) return pub(argc, argv);
  if (argc > 1 && strcmp(argv[1], "ws") == 0) return ws(argc, argv);
  fprintf(stderr,
          "usage: loadgen sse PORT PATH COUNT [TOPICS] | loadgen pub PORT PATH RATE SECONDS |"
          " loadgen ws PORT PATH SEND LINE END\n");
  return 2;
}
