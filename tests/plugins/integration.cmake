# Tests of the integration plugins: the outbox (plugins/outbox) delivering to an HTTP
# receiver the test runs on 127.0.0.1.
custody_plugin_test(outbox_test SOURCES plugins/outbox_test.cc PLUGINS custody_outbox)
target_link_libraries(outbox_test PRIVATE OpenSSL::Crypto)
