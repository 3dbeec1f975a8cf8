/*
 * skein_orig_dst: getOriginalDst(fd) -> { address, port, family }
 *
 * Returns the destination a TCP connection had before an iptables REDIRECT/DNAT rewrote it, read
 * from conntrack with getsockopt(SOL_IP, SO_ORIGINAL_DST) or, for IPv6 sockets,
 * getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST). An IPv4 connection accepted on a dual-stack (::)
 * socket has a v4-mapped local address and its conntrack entry is IPv4, so it is asked as IPv4.
 *
 * Errors are thrown as JS Errors whose `code` is the errno name (ENOENT when conntrack has no
 * entry, i.e. the connection was not redirected; EBADF, ENOTSOCK, ENOPROTOOPT, ...).
 */
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif

static const char *errno_name(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOTCONN: return "ENOTCONN";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    default: return "EUNKNOWN";
  }
}

#define CHECK(env, call)                                        \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      napi_throw_error((env), NULL, "N-API call failed: " #call); \
      return NULL;                                              \
    }                                                           \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, errno_name(err), message);
  return NULL;
}

static napi_value result_object(napi_env env, const char *address, unsigned port, const char *family) {
  napi_value obj, v;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, obj, "address", v));
  CHECK(env, napi_create_uint32(env, port, &v));
  CHECK(env, napi_set_named_property(env, obj, "port", v));
  CHECK(env, napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, obj, "family", v));
  return obj;
}

/* Asks conntrack for the original destination, as IPv4 (SOL_IP) or IPv6 (SOL_IPV6). */
static napi_value original_dst(napi_env env, int fd, int ipv6) {
  struct sockaddr_storage dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  int level = ipv6 ? SOL_IPV6 : SOL_IP;
  int option = ipv6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST;
  if (getsockopt(fd, level, option, &dst, &len) != 0) {
    return throw_errno(env, ipv6 ? "getsockopt(IP6T_SO_ORIGINAL_DST)" : "getsockopt(SO_ORIGINAL_DST)", errno);
  }
  const struct sockaddr_in *d4 = (const struct sockaddr_in *)&dst;
  const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)&dst;
  char text[INET6_ADDRSTRLEN];
  const void *address = ipv6 ? (const void *)&d6->sin6_addr : (const void *)&d4->sin_addr;
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, address, text, sizeof text)) return throw_errno(env, "inet_ntop", errno);
  return result_object(env, text, ntohs(ipv6 ? d6->sin6_port : d4->sin_port), ipv6 ? "IPv6" : "IPv4");
}

static napi_value get_original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &type));
  double number = -1;
  if (type == napi_number) CHECK(env, napi_get_value_double(env, argv[0], &number));
  int fd = (int)number;
  if (type != napi_number || !(number >= 0 && number <= 2147483647.0) || (double)fd != number) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "getOriginalDst(fd): fd must be a non-negative integer file descriptor");
    return NULL;
  }

  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  memset(&local, 0, sizeof local);
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, "getsockname", errno);
  if (local.ss_family == AF_INET) return original_dst(env, fd, 0);
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&local;
    return original_dst(env, fd, !IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr));
  }
  return throw_errno(env, "getOriginalDst: not an IPv4 or IPv6 socket", EAFNOSUPPORT);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(env, napi_create_function(env, "getOriginalDst", NAPI_AUTO_LENGTH, get_original_dst, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "getOriginalDst", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
