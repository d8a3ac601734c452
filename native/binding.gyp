{
  "targets": [
    {
      "target_name": "skelact_native",
      "sources": ["src/skelact_native.c"],
      "cflags": ["-O3", "-std=c11", "-fno-strict-aliasing", "-fopenmp-simd", "-pthread"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-lm", "-lpthread"]
    }
  ]
}
