# Tests of the reports plugin(s).
