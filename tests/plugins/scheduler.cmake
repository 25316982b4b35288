# Tests of the scheduler plugin(s).
