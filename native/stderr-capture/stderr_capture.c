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
 *
 * A crash runs no JS: V8's "FATAL ERROR"/"Check failed" then abort(), or a
 * SIGSEGV in a native library. Handlers for those signals put the original
 * stderr back, copy what is still in the pipe there (raw: the crash's own
 * words), then hand the signal to whichever handler was there before (Node's,
 * or the default: core dump), so the journal still shows why it died.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <node_api.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Room for bursts while the main thread is busy: writers block only past this. */
#define PIPE_BYTES (1 << 20)

static const int FATAL_SIGNALS[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};
#define FATAL_COUNT (sizeof(FATAL_SIGNALS) / sizeof(FATAL_SIGNALS[0]))
static struct sigaction previous[FATAL_COUNT];
static volatile sig_atomic_t read_fd_global = -1, saved_fd_global = -1;

/* Async-signal-safe only: dup2, read, write, sigaction, raise. */
static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
  (void)context;
  if (saved_fd_global >= 0) {
    dup2(saved_fd_global, STDERR_FILENO);
    char buffer[4096];
    ssize_t n;
    while (read_fd_global >= 0 && (n = read(read_fd_global, buffer, sizeof(buffer))) > 0) {
      if (write(STDERR_FILENO, buffer, (size_t)n) < 0) break;
    }
    saved_fd_global = -1;
  }
  for (size_t i = 0; i < FATAL_COUNT; i++) {
    if (FATAL_SIGNALS[i] == sig) sigaction(sig, &previous[i], NULL);
  }
  /* A fault re-runs its instruction on return and abort() raises again; a signal sent by kill() must be raised. */
  if (info == NULL || info->si_code <= 0) raise(sig);
}

static void install_fatal_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < FATAL_COUNT; i++) sigaction(FATAL_SIGNALS[i], &action, &previous[i]);
}

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
  read_fd_global = fds[0];
  saved_fd_global = saved;
  install_fatal_handlers();

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
  saved_fd_global = -1; /* nothing left for a crash handler to do */
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
