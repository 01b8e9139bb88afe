{
  "targets": [
    {
      "target_name": "stderr_capture",
      "sources": ["stderr_capture.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
