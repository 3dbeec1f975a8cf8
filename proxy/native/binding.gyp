{
  "targets": [
    {
      "target_name": "skein_orig_dst",
      "sources": ["src/orig_dst.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
