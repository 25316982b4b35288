# Tests of the scheduler plugin: the planner, calendars and config on their own (their
# sources compiled in, they need no SDK), and the plugin through the real host.
custody_plugin_test(scheduler_test
  SOURCES plugins/scheduler_test.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/planner.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/model.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/calendar.cc
          ${PROJECT_SOURCE_DIR}/plugins/scheduler/config.cc
  PLUGINS custody_scheduler)
target_include_directories(scheduler_test PRIVATE ${PROJECT_SOURCE_DIR}/plugins)
target_link_libraries(scheduler_test PRIVATE Boost::json)
