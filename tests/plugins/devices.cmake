# Tests of the device-driver plugins (plugins/modbus, plugins/sim_device) and of the SDK's
# settings reader (custody/settings.hpp) they share with the scheduler. The Modbus tests run a libmodbus
# server (and plain TCP servers that misbehave) in the test process.
if(NOT TARGET PkgConfig::MODBUS)
  pkg_check_modules(MODBUS REQUIRED IMPORTED_TARGET libmodbus)
endif()
custody_plugin_test(devices_test
  SOURCES plugins/modbus_test.cc plugins/sim_device_test.cc plugins/settings_test.cc
  PLUGINS custody_modbus custody_sim_device)
target_link_libraries(devices_test PRIVATE PkgConfig::MODBUS custody_sdk Boost::json)
