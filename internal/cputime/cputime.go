// Package cputime reads the CPU time (user and system) a process or a
// thread has used, for benchmarks that report it next to wall-clock time:
// on a shared machine the other processes inflate wall-clock time much more
// than a process's own CPU time.
package cputime
