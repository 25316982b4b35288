/* plugin.h must compile as C (partners may write plugins in C), with the same layout. */
#include "plugin/abi_layout.h"

int custody_abi_layout_checked_in_c(void) {
  return (int)sizeof(custody_result);
}
