# Tests of the reports plugin (plugins/reports) through the real host and the CLI.
custody_plugin_test(reports_test SOURCES plugins/reports_test.cc PLUGINS custody_reports)
