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

# The MQTT driver (plugins/mqtt) against a real broker: Debian's mosquitto, started by the test
# on a free port of 127.0.0.1 (plain, with passwords, with TLS), and stopped and started again
# to be a broker that goes away. The test publishes with mosquitto_pub (mosquitto-clients).
find_program(MOSQUITTO_PUB mosquitto_pub REQUIRED)
find_program(MOSQUITTO mosquitto PATHS /usr/sbin REQUIRED)
find_program(OPENSSL_BIN openssl REQUIRED)
custody_plugin_test(mqtt_test SOURCES plugins/mqtt_test.cc PLUGINS custody_mqtt)
target_compile_definitions(mqtt_test PRIVATE CUSTODY_MOSQUITTO="${MOSQUITTO}"
  CUSTODY_OPENSSL="${OPENSSL_BIN}")
