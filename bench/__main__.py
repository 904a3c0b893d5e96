"""`make bench`: every benchmark in this folder, one after the other."""

from bench import overhead, stream

if __name__ == "__main__":
    overhead.main([])
    stream.main([])
