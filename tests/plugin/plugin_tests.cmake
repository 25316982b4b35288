# Plugin host and SDK contract tests (tests/plugin).

# A plugin that breaks the contract on purpose, and variants whose manifest or exports are
# wrong (tests/plugin/fixtures/contract_plugin.cc).
custody_add_plugin(contract_plugin SOURCES plugin/fixtures/contract_plugin.cc)
foreach(variant WRONG_MAJOR NEWER_MINOR NO_INIT BAD_MANIFEST)
  string(TOLOWER ${variant} lower)
  custody_add_plugin(contract_${lower} SOURCES plugin/fixtures/contract_plugin.cc)
  target_compile_definitions(contract_${lower} PRIVATE CONTRACT_${variant})
endforeach()

custody_plugin_test(plugin_test
  SOURCES plugin/abi_layout_test.cc plugin/abi_layout_c.c plugin/capabilities_test.cc
          plugin/library_test.cc plugin/host_test.cc
  PLUGINS contract_plugin contract_wrong_major contract_newer_minor contract_no_init
          contract_bad_manifest exception_notes)
