/*
 * sd_notify(3) for Node: one datagram to $NOTIFY_SOCKET. Node has no unix
 * datagram sockets, and the systemd-notify CLI is racy (systemd may not be
 * able to attribute its message to our unit once it has exited), so vigil
 * sends from its own PID through this tiny addon. No libsystemd needed.
 *
 * notify(socketPath, message): sends `message` to `socketPath` (a path, or
 * "@name" for the abstract namespace, as systemd sets it); throws an Error
 * with the errno text on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "ESDNOTIFY", message);
  return NULL;
}

/* Copies a JS string argument into a fresh NUL-terminated buffer; *length gets its byte length. */
static char *string_arg(napi_env env, napi_value value, size_t *length) {
  if (napi_get_value_string_utf8(env, value, NULL, 0, length) != napi_ok) return NULL;
  char *buffer = malloc(*length + 1);
  if (buffer == NULL) return NULL;
  if (napi_get_value_string_utf8(env, value, buffer, *length + 1, length) != napi_ok) {
    free(buffer);
    return NULL;
  }
  return buffer;
}

static napi_value notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2) return throw_error(env, "notify(socketPath, message) takes two strings");

  size_t path_length = 0, message_length = 0;
  char *path = string_arg(env, args[0], &path_length);
  char *message = string_arg(env, args[1], &message_length);
  struct sockaddr_un address;
  if (path == NULL || message == NULL || path_length == 0 || path_length >= sizeof(address.sun_path)) {
    free(path);
    free(message);
    return throw_error(env, "notify(socketPath, message): socketPath must be a non-empty unix socket path and message a string");
  }

  memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path, path_length);
  if (path[0] == '@') address.sun_path[0] = '\0'; /* abstract namespace */
  socklen_t address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + (path[0] == '@' ? 0 : 1));

  int error = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
  } else {
    if (sendto(fd, message, message_length, MSG_NOSIGNAL, (struct sockaddr *)&address, address_length) < 0) error = errno;
    close(fd);
  }
  free(path);
  free(message);
  if (error != 0) return throw_error(env, strerror(error));
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "notify", NAPI_AUTO_LENGTH, notify, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "notify", fn) != napi_ok) return NULL;
  return exports;
}
