# Tests of the devices plugin(s).
