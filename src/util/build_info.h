/*
 * build_info.h - what this kaudit was built from, for --version and every
 * trace header (kaudit-trace(5): header.build).  The Makefile passes the
 * values to build_info.c alone, so a new commit recompiles one file.
 */
#ifndef KAUDIT_BUILD_INFO_H
#define KAUDIT_BUILD_INFO_H

/* `git describe --always --dirty` of the tree it was built in, "unknown"
 * when that was not a git checkout (a tarball). */
const char *build_info_commit(void);
/* The CUDA toolkit nvcc reported at build time ("13.0.88"), "none" when
 * there was no nvcc. */
const char *build_info_cuda(void);
/* Nonzero when the GPU plugin (libkaudit-gpu.so) was built with kaudit. */
int build_info_plugin_built(void);

#endif
