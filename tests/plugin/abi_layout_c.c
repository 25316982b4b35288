/* plugin.h and types.h must compile as C (partners may write plugins in C), with the same
 * layout. */
#include "custody/types.h"
#include "plugin/abi_layout.h"

int custody_abi_layout_checked_in_c(void) {
  return (int)sizeof(custody_result);
}

/* The type map, looked up from C: lot.received's struct. */
const char* custody_type_map_struct_in_c(const char* event_type) {
  const custody_type_info* t = custody_find_event_type(event_type);
  return t == NULL ? "" : t->capnp_struct;
}
