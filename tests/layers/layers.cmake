# Layers as the build enforces them (core/CMakeLists.txt): a header of a layer above is not
# on a layer's include path, so including it fails to compile. Each check compiles one
# header against one layer; the ones that must be refused pass only when the compiler says
# the header cannot be found (not on any other failure), and a control in each layer proves
# the same setup compiles what is allowed.
function(custody_layer_check name layer header expect)
  add_library(layer_${name} OBJECT EXCLUDE_FROM_ALL layers/include_check.cc)
  target_link_libraries(layer_${name} PRIVATE ${layer})
  target_compile_definitions(layer_${name} PRIVATE LAYER_HEADER="${header}")
  add_test(NAME layers.${name}
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target layer_${name})
  set_tests_properties(layers.${name} PROPERTIES RUN_SERIAL TRUE)
  if(expect STREQUAL "refused")
    set_tests_properties(layers.${name} PROPERTIES
      PASS_REGULAR_EXPRESSION "${header}: No such file or directory")
  endif()
endfunction()

custody_layer_check(common_sees_common custody_common custody/common/error.h compiles)
custody_layer_check(common_cannot_include_codec custody_common custody/codec/json_writer.h refused)
custody_layer_check(codec_sees_common custody_codec custody/common/encoding.h compiles)
custody_layer_check(codec_cannot_include_ledger custody_codec custody/ledger/record.h refused)
custody_layer_check(crypto_cannot_include_ledger custody_crypto custody/ledger/checkpoint.h refused)
custody_layer_check(ledger_sees_crypto custody_ledger custody/crypto/note.h compiles)
custody_layer_check(epcis_sees_crypto custody_epcis custody/crypto/sha256.h compiles)
custody_layer_check(epcis_cannot_include_ledger custody_epcis custody/ledger/record.h refused)
custody_layer_check(ledger_cannot_include_domain custody_ledger custody/domain/plant.h refused)
custody_layer_check(domain_sees_ledger custody_domain custody/ledger/ledger.h compiles)
custody_layer_check(domain_cannot_include_plugin_host custody_domain custody/plugin/host.h refused)
custody_layer_check(plugin_host_sees_domain custody_plugin_host custody/domain/plant.h compiles)
custody_layer_check(replication_sees_ledger custody_replication custody/ledger/replica.h compiles)
custody_layer_check(replication_cannot_include_domain custody_replication custody/domain/plant.h refused)
custody_layer_check(ledger_cannot_include_replication custody_ledger custody/replication/jetstream.h refused)

# RocksDB stays inside the ledger: no public header of any layer and no source of the layers
# above it includes it (a system header is on every include path, so the build alone cannot
# refuse it). Domain code reads through ledger::Reader.
add_test(NAME layers.rocksdb_stays_in_the_ledger
  COMMAND sh -c "! grep -rn '#include <rocksdb/' core/common core/codec core/crypto core/domain core/plugin core/replication core/ledger/include"
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
