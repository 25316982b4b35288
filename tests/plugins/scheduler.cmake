# Tests of the scheduler plugin, in one executable: the planner, calendars and config on
# their own (planner_test.cc; their sources compiled in, they need no SDK), the plugin through
# the real host (scheduler_test.cc), and the feasibility checker both judge plans by
# (schedule_checker.cc, written apart from the planner).
custody_plugin_test(scheduler_test
  SOURCES plugins/planner_test.cc
          plugins/scheduler_test.cc
          plugins/schedule_checker.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/planner.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/model.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/calendar.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/config.cc
  PLUGINS custody_scheduler)
target_include_directories(scheduler_test PRIVATE ${PROJECT_SOURCE_DIR}/plugins)
target_link_libraries(scheduler_test PRIVATE custody_sdk Boost::json)
