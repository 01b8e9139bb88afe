{
  "targets": [
    {
      "target_name": "tensor_kernel",
      "sources": ["tensor_kernel.c"],
      # No fused multiply-adds: cropToPlanes then matches tensor-fill.ts's JS arithmetic exactly.
      "cflags": ["-Wall", "-Wextra", "-O3", "-ffp-contract=off"]
    }
  ]
}
