"""`make bench`: every benchmark in this folder, one after the other."""

from bench import classroom, cohort, first_frame, fork, history, lab, overhead, stream, ui_fps

if __name__ == "__main__":
    overhead.main([])
    cohort.main([])
    history.main([])
    fork.main([])
    first_frame.main([])
    lab.main([])
    stream.main([])
    ui_fps.main([])
    classroom.main([])
