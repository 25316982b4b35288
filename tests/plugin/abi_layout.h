/* The published layout of the plugin ABI 1.1 on LP64 (x86-64, aarch64), asserted at compile
 * time in C (abi_layout_c.c) and C++ (abi_layout_test.cc): a change to a published struct
 * fails the build. Structs may only grow at the end; when one does, add the new field's
 * offset here and bump CUSTODY_ABI_MINOR. */
#ifndef CUSTODY_TESTS_ABI_LAYOUT_H_
#define CUSTODY_TESTS_ABI_LAYOUT_H_

#include <stddef.h>

#include "custody/plugin.h"

#ifdef __cplusplus
#define CUSTODY_ABI_ASSERT(e, m) static_assert(e, m)
#else
#define CUSTODY_ABI_ASSERT(e, m) _Static_assert(e, m)
#endif

#define CUSTODY_ABI_AT(type, field, offset) \
  CUSTODY_ABI_ASSERT(offsetof(type, field) == (offset), #type "." #field " moved")
#define CUSTODY_ABI_SIZE(type, size) CUSTODY_ABI_ASSERT(sizeof(type) == (size), #type " resized")

CUSTODY_ABI_ASSERT(CUSTODY_ABI_MAJOR == 1 && CUSTODY_ABI_MINOR == 1, "ABI version changed");

CUSTODY_ABI_AT(custody_manifest, struct_size, 0);
CUSTODY_ABI_AT(custody_manifest, abi_major, 4);
CUSTODY_ABI_AT(custody_manifest, abi_minor, 6);
CUSTODY_ABI_AT(custody_manifest, id, 8);
CUSTODY_ABI_AT(custody_manifest, version, 16);
CUSTODY_ABI_AT(custody_manifest, description, 24);
CUSTODY_ABI_AT(custody_manifest, kind, 32);
CUSTODY_ABI_AT(custody_manifest, capability_count, 36);
CUSTODY_ABI_AT(custody_manifest, capabilities, 40);
CUSTODY_ABI_SIZE(custody_manifest, 48);

CUSTODY_ABI_AT(custody_sink, struct_size, 0);
CUSTODY_ABI_AT(custody_sink, context, 8);
CUSTODY_ABI_AT(custody_sink, write, 16);
CUSTODY_ABI_SIZE(custody_sink, 24);

CUSTODY_ABI_AT(custody_result, struct_size, 0);
CUSTODY_ABI_AT(custody_result, status, 4);
CUSTODY_ABI_AT(custody_result, seq, 8);
CUSTODY_ABI_AT(custody_result, records, 16);
CUSTODY_ABI_AT(custody_result, duplicate, 20);
CUSTODY_ABI_AT(custody_result, hash, 24);
CUSTODY_ABI_AT(custody_result, code, 56);
CUSTODY_ABI_AT(custody_result, field, 88);
CUSTODY_ABI_AT(custody_result, message, 216);
CUSTODY_ABI_SIZE(custody_result, 728);

CUSTODY_ABI_AT(custody_record, struct_size, 0);
CUSTODY_ABI_AT(custody_record, seq, 8);
CUSTODY_ABI_AT(custody_record, recorded_at, 16);
CUSTODY_ABI_AT(custody_record, occurred_at, 24);
CUSTODY_ABI_AT(custody_record, type, 32);
CUSTODY_ABI_AT(custody_record, stream, 40);
CUSTODY_ABI_AT(custody_record, actor, 48);
CUSTODY_ABI_AT(custody_record, command_id, 56);
CUSTODY_ABI_AT(custody_record, payload, 64);
CUSTODY_ABI_AT(custody_record, payload_size, 72);
CUSTODY_ABI_AT(custody_record, record, 80);
CUSTODY_ABI_AT(custody_record, record_size, 88);
CUSTODY_ABI_SIZE(custody_record, 96);

CUSTODY_ABI_AT(custody_command, struct_size, 0);
CUSTODY_ABI_AT(custody_command, has_expected_version, 4);
CUSTODY_ABI_AT(custody_command, type, 8);
CUSTODY_ABI_AT(custody_command, command_id, 16);
CUSTODY_ABI_AT(custody_command, data, 24);
CUSTODY_ABI_AT(custody_command, data_size, 32);
CUSTODY_ABI_AT(custody_command, expected_version, 40);
CUSTODY_ABI_AT(custody_command, occurred_at, 48);
CUSTODY_ABI_SIZE(custody_command, 56);

CUSTODY_ABI_AT(custody_host, struct_size, 0);
CUSTODY_ABI_AT(custody_host, abi_major, 4);
CUSTODY_ABI_AT(custody_host, abi_minor, 6);
CUSTODY_ABI_AT(custody_host, context, 8);
CUSTODY_ABI_AT(custody_host, log, 16);
CUSTODY_ABI_AT(custody_host, config, 24);
CUSTODY_ABI_AT(custody_host, query, 32);
CUSTODY_ABI_AT(custody_host, subscribe, 40);
CUSTODY_ABI_AT(custody_host, submit, 48);
CUSTODY_ABI_AT(custody_host, submit_json, 56);
CUSTODY_ABI_AT(custody_host, now, 64);
CUSTODY_ABI_AT(custody_host, set_tick_interval, 72);
CUSTODY_ABI_AT(custody_host, record_json, 80);
/* 1.1 */
CUSTODY_ABI_AT(custody_host, position, 88);
CUSTODY_ABI_AT(custody_host, save_position, 96);
CUSTODY_ABI_AT(custody_host, state_get, 104);
CUSTODY_ABI_AT(custody_host, state_put, 112);
CUSTODY_ABI_AT(custody_host, state_erase, 120);
CUSTODY_ABI_SIZE(custody_host, 128);

CUSTODY_ABI_AT(custody_plugin, struct_size, 0);
CUSTODY_ABI_AT(custody_plugin, instance, 8);
CUSTODY_ABI_AT(custody_plugin, start, 16);
CUSTODY_ABI_AT(custody_plugin, on_records, 24);
CUSTODY_ABI_AT(custody_plugin, on_tick, 32);
CUSTODY_ABI_AT(custody_plugin, render, 40);
CUSTODY_ABI_AT(custody_plugin, stop, 48);
CUSTODY_ABI_AT(custody_plugin, destroy, 56);
CUSTODY_ABI_SIZE(custody_plugin, 64);

/* Status codes and kinds are part of the contract too. */
CUSTODY_ABI_ASSERT(CUSTODY_OK == 0 && CUSTODY_ERR_INVALID_ARGUMENT == 1 &&
                       CUSTODY_ERR_NOT_FOUND == 2 && CUSTODY_ERR_PERMISSION_DENIED == 3 &&
                       CUSTODY_ERR_REJECTED == 4 && CUSTODY_ERR_UNAVAILABLE == 5 &&
                       CUSTODY_ERR_UNSUPPORTED == 6 && CUSTODY_ERR_INTERNAL == 7,
                   "status codes changed");
CUSTODY_ABI_ASSERT(CUSTODY_KIND_SCHEDULER == 1 && CUSTODY_KIND_DEVICE_DRIVER == 2 &&
                       CUSTODY_KIND_REPORT == 3 && CUSTODY_KIND_OTHER == 4,
                   "plugin kinds changed");

#endif /* CUSTODY_TESTS_ABI_LAYOUT_H_ */
