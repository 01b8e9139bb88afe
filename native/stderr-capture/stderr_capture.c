/*
 * Puts a pipe behind the process's fd 2, so what FFmpeg, GStreamer and OpenCV
 * print there (from any thread) reaches vigil's main thread as lines it can
 * turn into JSON log lines (issue 17: nothing raw in the journal). Node has
 * no dup2().
 *
 * redirect(): [readFd, savedFd]: the pipe's read end (non-blocking, for a
 *   net.Socket) and a duplicate of the original stderr; fd 2 is the pipe's
 *   write end from then on. Throws an Error with the errno text on failure,
 *   leaving fd 2 as it was.
 * restore(savedFd): fd 2 is the original stderr again (for the exit path, so
 *   Node's own fatal output stays visible after the reader is gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <node_api.h>
#include <string.h>
#include <unistd.h>

/* Room for bursts while the main thread is busy: writers block only past this. */
#define PIPE_BYTES (1 << 20)

static napi_value throw_errno(napi_env env, const char *what, int error) {
  char message[256];
  snprintf(message, sizeof(message), "%s: %s", what, strerror(error));
  napi_throw_error(env, "ESTDERRCAPTURE", message);
  return NULL;
}

static napi_value redirect(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, "pipe2", errno);
  (void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES); /* best effort: the default 64 KiB still works */
  int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved < 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    return throw_errno(env, "dup stderr", error);
  }
  if (dup2(fds[1], STDERR_FILENO) < 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    close(saved);
    return throw_errno(env, "dup2", error);
  }
  close(fds[1]);
  int flags = fcntl(fds[0], F_GETFL);
  if (flags >= 0) (void)fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);

  napi_value result, read_fd, saved_fd;
  if (napi_create_array_with_length(env, 2, &result) != napi_ok) return NULL;
  if (napi_create_int32(env, fds[0], &read_fd) != napi_ok || napi_create_int32(env, saved, &saved_fd) != napi_ok) return NULL;
  if (napi_set_element(env, result, 0, read_fd) != napi_ok || napi_set_element(env, result, 1, saved_fd) != napi_ok) return NULL;
  return result;
}

static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  int32_t saved = -1;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, args[0], &saved) != napi_ok || saved < 0) {
    napi_throw_error(env, "ESTDERRCAPTURE", "restore(savedFd) takes the fd redirect() returned");
    return NULL;
  }
  if (dup2(saved, STDERR_FILENO) < 0) return throw_errno(env, "dup2", errno);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "redirect", NAPI_AUTO_LENGTH, redirect, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "redirect", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "restore", NAPI_AUTO_LENGTH, restore, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "restore", fn) != napi_ok) return NULL;
  return exports;
}
