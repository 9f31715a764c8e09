// The Trees module of streamprobe (see ../../README.md and DESIGN.md §3).
