# Plugin host and SDK contract tests (tests/plugin).

# A plugin that breaks the contract on purpose, and variants whose manifest or exports are
# wrong (tests/plugin/fixtures/contract_plugin.cc).
custody_add_plugin(contract_plugin SOURCES plugin/fixtures/contract_plugin.cc)
foreach(variant WRONG_MAJOR NEWER_MINOR NO_INIT BAD_MANIFEST)
  string(TOLOWER ${variant} lower)
  custody_add_plugin(contract_${lower} SOURCES plugin/fixtures/contract_plugin.cc)
  target_compile_definitions(contract_${lower} PRIVATE CONTRACT_${variant})
endforeach()

# A plugin built against the SDK 1.0 headers, a copy of which is kept as they were released
# (fixtures/sdk-1.0): every 1.0 plugin must load and work unchanged in the current host.
custody_add_plugin(sdk10_plugin SOURCES plugin/fixtures/sdk10_plugin.cc)
target_include_directories(sdk10_plugin BEFORE PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/plugin/fixtures/sdk-1.0/include)

custody_plugin_test(plugin_test
  SOURCES plugin/abi_layout_test.cc plugin/abi_layout_c.c plugin/capabilities_test.cc
          plugin/library_test.cc plugin/host_test.cc plugin/sdk_helpers_test.cc
          plugin/wire_test.cc
  PLUGINS contract_plugin contract_wrong_major contract_newer_minor contract_no_init
          contract_bad_manifest exception_notes sdk10_plugin)
# The runner socket's framing is private to the plugin host (core/plugin/wire.h).
target_include_directories(plugin_test PRIVATE ${PROJECT_SOURCE_DIR}/core)

# Out of tree, as a partner builds: install the SDK into a prefix inside the build tree,
# configure and build the example the SDK ships (share/doc/custody-sdk/examples) against
# that prefix alone, then load and run the result with the real `custody`.
set(sdk_prefix ${CMAKE_BINARY_DIR}/sdk-prefix)
set(sdk_example ${CMAKE_BINARY_DIR}/sdk-example)
# A fresh prefix and build each time, so nothing of an older SDK or example build is reused.
add_test(NAME sdk.install
  COMMAND sh -c "rm -rf '${sdk_prefix}' '${sdk_example}' && '${CMAKE_COMMAND}' --install '${CMAKE_BINARY_DIR}' --component sdk --prefix '${sdk_prefix}'")
add_test(NAME sdk.example.configure
  COMMAND ${CMAKE_COMMAND} -S ${sdk_prefix}/share/doc/custody-sdk/examples/exception_notes
          -B ${sdk_example}
          -DCMAKE_PREFIX_PATH=${sdk_prefix} -DCMAKE_BUILD_TYPE=Release)
add_test(NAME sdk.example.build COMMAND ${CMAKE_COMMAND} --build ${sdk_example})
add_test(NAME sdk.example.load
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/plugin/sdk_example_load.sh $<TARGET_FILE:custody>
          ${sdk_example}/exception_notes.so ${CMAKE_BINARY_DIR}/sdk-example-run)
set_tests_properties(sdk.install PROPERTIES FIXTURES_SETUP sdk_installed)
set_tests_properties(sdk.example.configure PROPERTIES
  FIXTURES_REQUIRED sdk_installed FIXTURES_SETUP sdk_configured)
set_tests_properties(sdk.example.build PROPERTIES
  FIXTURES_REQUIRED sdk_configured FIXTURES_SETUP sdk_built TIMEOUT 600)
set_tests_properties(sdk.example.load PROPERTIES FIXTURES_REQUIRED sdk_built TIMEOUT 120)
