# custody_add_plugin(NAME SOURCES src...)
#
# A custody plugin: a shared module (no "lib" prefix) built against the SDK only, with every
# symbol hidden except the two the CUSTODY_PLUGIN macro exports, and linked with
# --no-undefined so a missing symbol fails the build rather than the load.
function(custody_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "custody_add_plugin(${name}): give SOURCES")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE CustodySdk::sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${name} PRIVATE "LINKER:--no-undefined")
endfunction()

# custody_plugin_settings(TARGET)
#
# Links Boost.JSON, which custody/settings.hpp (reading the plugin's "config" object) needs.
function(custody_plugin_settings custody_plugin_target)
  if(NOT TARGET Boost::json)
    find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
  endif()
  target_link_libraries(${custody_plugin_target} PRIVATE Boost::json)
endfunction()

# custody_plugin_schemas(TARGET)
#
# Generates C++ for custody's schemas (record, commands, projections) into TARGET's build
# directory and links Cap'n Proto: include "schema/commands.capnp.h" and read payloads
# (custody_record.payload) or build command data (custody_command.data) with them. The
# project must enable C as well as C++ (Cap'n Proto's package probes for libatomic in C).
function(custody_plugin_schemas custody_plugin_target)
  # (Not named `target`: Cap'n Proto's package loops over a variable of that name.)
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "C" IN_LIST languages)
    message(FATAL_ERROR "custody_plugin_schemas: Cap'n Proto's CMake package needs the C "
                        "language; declare project(... LANGUAGES C CXX)")
  endif()
  if(NOT TARGET CapnProto::capnp)
    find_package(CapnProto REQUIRED CONFIG)
  endif()
  set(CAPNPC_SRC_PREFIX "${CUSTODY_SDK_SCHEMA_DIR}/..")
  set(CAPNPC_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${custody_plugin_target}_schema")
  set(CAPNPC_IMPORT_DIRS "${CUSTODY_SDK_SCHEMA_DIR}")
  file(MAKE_DIRECTORY "${CAPNPC_OUTPUT_DIR}")
  set(files)
  foreach(s annotations record commands projections)
    list(APPEND files "${CUSTODY_SDK_SCHEMA_DIR}/${s}.capnp")
  endforeach()
  capnp_generate_cpp(srcs hdrs ${files})
  target_sources(${custody_plugin_target} PRIVATE ${srcs})
  target_include_directories(${custody_plugin_target} PRIVATE "${CAPNPC_OUTPUT_DIR}")
  target_link_libraries(${custody_plugin_target} PRIVATE CapnProto::capnp)
  # Generated code is not the plugin author's to warn about.
  set_source_files_properties(${srcs} PROPERTIES COMPILE_OPTIONS "-w")
endfunction()
