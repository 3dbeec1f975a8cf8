/*
 * skein-cni: the chained CNI plugin that the container runtime executes on the node (which has no
 * Node.js). It forwards each request (the CNI_* environment and the network configuration on
 * stdin) over a unix socket to the Skein CNI agent (`skein cni agent`), which looks the pod up and
 * writes its capture rules, and relays the agent's answer (stdout and exit code).
 *
 * Without the agent it decides alone (docs/adr/0005-cni-plugin.md):
 *   VERSION, STATUS, GC        answered here, never need the agent;
 *   DEL                        succeeds (the rules live in the pod's network namespace and go with it);
 *   ADD, CHECK of a marked pod error 11 "try again later": the pod must not start unmeshed, and the
 *                              runtime retries until the agent is back. A pod is marked when the
 *                              runtime passed its annotations (capability
 *                              io.kubernetes.cri.pod-annotations) and they hold cni.skein.dev/capture;
 *   ADD of any other pod       passes prevResult through unchanged, so that a node whose agent is
 *                              down still starts unmeshed pods (the skein-validation init container
 *                              stops a marked pod that got here without annotations).
 *
 * Wire format to the agent (all integers unsigned 32-bit big-endian):
 *   request:  "SKEINCNI" version(1) count(7) then count × (length, bytes): CNI_COMMAND,
 *             CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH, stdin
 *   response: exit code, length, stdout bytes
 * Plain C11 + POSIX, no allocation beyond two bounded buffers, statically linked by
 * scripts/build-cni.js.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/var/run/skein/cni.sock"
#define MAX_STDIN (4u << 20)
#define MAX_RESPONSE (4u << 20)
#define AGENT_TIMEOUT_SECONDS 60
#define MARKER "\"cni.skein.dev/capture\""
#define SUPPORTED_VERSIONS "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]"

/* CNI error codes (spec §Error codes) used here. */
enum { ERR_INVALID_ENV = 4, ERR_IO = 5, ERR_DECODE = 6, ERR_INVALID_CONFIG = 7, ERR_TRY_AGAIN = 11 };

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf += n;
    len -= (size_t)n;
  }
}

/* Writes s as the inside of a JSON string (quotes, backslashes and control characters escaped). */
static void json_escaped(const char *s) {
  char out[8];
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[0] = '\\';
      out[1] = (char)c;
      write_all(1, out, 2);
    } else if (c < 0x20) {
      snprintf(out, sizeof out, "\\u%04x", c);
      write_all(1, out, 6);
    } else {
      write_all(1, (const char *)&c, 1);
    }
  }
}

/* The spec's error result on stdout, a line on stderr for the runtime's log, and the exit code. */
static int fail(int code, const char *msg, const char *details) {
  char head[64];
  snprintf(head, sizeof head, "{\"cniVersion\":\"1.0.0\",\"code\":%d,\"msg\":\"", code);
  write_all(1, head, strlen(head));
  json_escaped(msg);
  if (details && *details) {
    write_all(1, "\",\"details\":\"", 13);
    json_escaped(details);
  }
  write_all(1, "\"}\n", 3);
  fprintf(stderr, "skein-cni: %s%s%s\n", msg, details && *details ? ": " : "", details ? details : "");
  return 1;
}

/* Reads all of fd into a malloc'd buffer; -1 when it is larger than max or unreadable. */
static int read_all(int fd, char **out, size_t *len, size_t max) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return -1;
  for (;;) {
    if (n == cap) {
      if (cap >= max) break;
      cap = cap * 2 > max ? max : cap * 2;
      char *grown = realloc(buf, cap + 1);
      if (!grown) break;
      buf = grown;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) {
      buf[n] = '\0';
      *out = buf;
      *len = n;
      return 0;
    }
    n += (size_t)r;
  }
  free(buf);
  return -1;
}

/* ---- a scanner for the few top-level fields the plugin reads without the agent ---- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* p at an opening quote; returns the position after the closing quote, NULL when unterminated. */
static const char *skip_string(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '\\') p++;
    else if (*p == '"') return p + 1;
  }
  return NULL;
}

/* p at the start of a JSON value; returns the position after it, NULL when malformed. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      if (*p == '"') {
        p = skip_string(p, end);
        if (!p) return NULL;
        continue;
      }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
      p++;
    }
    return NULL;
  }
  const char *start = p;
  while (p < end && !strchr(",}] \t\r\n", *p)) p++;
  return p > start ? p : NULL;
}

/*
 * Finds the value of top-level key `key` in the JSON object json[0..len). Returns 1 and the
 * value's bounds when found, 0 when the key is absent, -1 when the text is not a JSON object.
 */
static int find_field(const char *json, size_t len, const char *key, const char **value, const char **value_end) {
  const char *end = json + len, *p = skip_ws(json, end);
  size_t key_len = strlen(key);
  int found = 0;
  if (p >= end || *p != '{') return -1;
  p = skip_ws(p + 1, end);
  if (p < end && *p == '}') return 0;
  while (p < end) {
    if (*p != '"') return -1;
    const char *key_start = p + 1, *key_end = skip_string(p, end);
    if (!key_end) return -1;
    p = skip_ws(key_end, end);
    if (p >= end || *p != ':') return -1;
    p = skip_ws(p + 1, end);
    const char *v = p;
    p = skip_value(p, end);
    if (!p) return -1;
    if (!found && (size_t)(key_end - 1 - key_start) == key_len && memcmp(key_start, key, key_len) == 0) {
      *value = v;
      *value_end = p;
      found = 1;
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') p = skip_ws(p + 1, end);
    else if (p < end && *p == '}') return found;
    else return -1;
  }
  return -1;
}

/* The agent socket from the config's "agentSocket" (a plain absolute path), else the default. */
static void socket_path(const char *json, size_t len, char *out, size_t size) {
  const char *v, *v_end;
  snprintf(out, size, "%s", DEFAULT_SOCKET);
  if (find_field(json, len, "agentSocket", &v, &v_end) != 1 || *v != '"') return;
  size_t n = (size_t)(v_end - v) - 2;
  if (n == 0 || n >= size || v[1] != '/' || memchr(v + 1, '\\', n)) return;
  memcpy(out, v + 1, n);
  out[n] = '\0';
}

/* ---- talking to the agent ---- */

static void put_u32(char *p, uint32_t v) {
  p[0] = (char)(v >> 24);
  p[1] = (char)(v >> 16);
  p[2] = (char)(v >> 8);
  p[3] = (char)v;
}

static uint32_t get_u32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void send_field(int fd, const char *bytes, size_t len) {
  char n[4];
  put_u32(n, (uint32_t)len);
  write_all(fd, n, 4);
  write_all(fd, bytes, len);
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

/* Connects to the agent; -1 (errno set) when it is not there. */
static int connect_agent(const char *path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval timeout = { .tv_sec = AGENT_TIMEOUT_SECONDS, .tv_usec = 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* Sends the request and relays the answer; returns the exit code. */
static int forward(int fd, const char *config, size_t config_len, const char *path) {
  static const char *names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH" };
  char head[16];
  memcpy(head, "SKEINCNI", 8);
  put_u32(head + 8, 1);
  put_u32(head + 12, 7);
  write_all(fd, head, sizeof head);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) send_field(fd, env(names[i]), strlen(env(names[i])));
  send_field(fd, config, config_len);
  shutdown(fd, SHUT_WR);

  char *answer = NULL;
  size_t answer_len = 0;
  if (read_all(fd, &answer, &answer_len, MAX_RESPONSE + 8) < 0 || answer_len < 8) {
    free(answer);
    return fail(ERR_TRY_AGAIN, "the Skein CNI agent did not answer; try again later", path);
  }
  uint32_t code = get_u32((const unsigned char *)answer), out_len = get_u32((const unsigned char *)answer + 4);
  if (out_len != answer_len - 8 || code > 255) {
    free(answer);
    return fail(ERR_IO, "the Skein CNI agent sent a malformed answer", path);
  }
  write_all(1, answer + 8, out_len);
  free(answer);
  return (int)code;
}

/* The agent is not reachable: decide without it (see the top of this file). */
static int without_agent(const char *command, const char *config, size_t len, const char *path, int error) {
  char why[512];
  snprintf(why, sizeof why, "%s: %s", path, strerror(error));
  if (strcmp(command, "DEL") == 0) {
    fprintf(stderr, "skein-cni: DEL without the agent (%s): nothing to clean up outside the pod's network namespace\n", why);
    return 0;
  }
  if (memmem(config, len, MARKER, strlen(MARKER))) {
    return fail(ERR_TRY_AGAIN, "the Skein CNI agent is not reachable and this pod is marked for mesh traffic capture; try again later", why);
  }
  const char *v, *v_end;
  int found = find_field(config, len, "prevResult", &v, &v_end);
  if (found < 0) return fail(ERR_DECODE, "cannot decode the network configuration on stdin", why);
  if (strcmp(command, "CHECK") == 0) return 0;
  if (found == 0 || *v != '{') return fail(ERR_INVALID_CONFIG, "skein-cni must be chained after an interface plugin: the configuration has no prevResult", NULL);
  fprintf(stderr, "skein-cni: ADD without the agent (%s): the pod is not marked for capture, passing prevResult through\n", why);
  write_all(1, v, (size_t)(v_end - v));
  write_all(1, "\n", 1);
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* an agent that goes away mid-request is reported, not a silent death */
  const char *command = getenv("CNI_COMMAND");
  if (!command || !*command) return fail(ERR_INVALID_ENV, "CNI_COMMAND is not set", NULL);
  if (strcmp(command, "VERSION") == 0) {
    const char *out = "{\"cniVersion\":\"1.0.0\",\"supportedVersions\":" SUPPORTED_VERSIONS "}\n";
    write_all(1, out, strlen(out));
    return 0;
  }
  /* CNI 1.1: the agent keeps no state outside pod network namespaces, so there is nothing to collect,
     and the plugin is ready whether or not the agent is (see without_agent). */
  if (strcmp(command, "STATUS") == 0 || strcmp(command, "GC") == 0) return 0;
  if (strcmp(command, "ADD") != 0 && strcmp(command, "DEL") != 0 && strcmp(command, "CHECK") != 0) {
    return fail(ERR_INVALID_ENV, "CNI_COMMAND must be ADD, DEL, CHECK, VERSION, STATUS or GC", command);
  }
  char *config = NULL;
  size_t len = 0;
  if (read_all(0, &config, &len, MAX_STDIN) < 0) return fail(ERR_IO, "cannot read the network configuration on stdin (at most 4 MiB)", NULL);
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  socket_path(config, len, path, sizeof path);
  int fd = connect_agent(path);
  int code = fd < 0 ? without_agent(command, config, len, path, errno) : forward(fd, config, len, path);
  if (fd >= 0) close(fd);
  free(config);
  return code;
}
