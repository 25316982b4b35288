// One layer's header, compiled with one layer's include path (tests/layers/layers.cmake): the
// build lets a layer include what lies below it and nothing above.
#include LAYER_HEADER

int main() {
  return 0;
}
