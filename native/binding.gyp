{
  "target_defaults": {
    "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-D_GNU_SOURCE"],
    "include_dirs": ["src"]
  },
  "targets": [
    {
      "target_name": "wharf_native",
      "sources": ["<!@(ls -1 src/common/*.c src/addon/*.c)"]
    },
    {
      "target_name": "wharf-runtime",
      "type": "executable",
      "sources": ["<!@(ls -1 src/common/*.c src/cgroup/*.c src/runtime/*.c)"],
      "libraries": ["-lseccomp", "-lcjson", "-lnettle", "-lm"]
    },
    {
      "target_name": "wharf-shim",
      "type": "executable",
      "sources": ["<!@(ls -1 src/common/*.c src/shim/*.c)"]
    },
    {
      "target_name": "wharf-untar",
      "type": "executable",
      "sources": ["<!@(ls -1 src/common/*.c src/untar/*.c)"],
      "libraries": ["-larchive", "-lseccomp", "-lnettle", "-lz"]
    }
  ]
}
