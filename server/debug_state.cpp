#include "debug_state.hpp"
