/* l2d_parse_sizes: good lists, empty lists and each kind of bad list. */
#include "l2d/engine.h"
#include "tap.h"

int main(void)
{
    tap_plan(14);
    size_t v[4] = {0};
    tap_ok(l2d_parse_sizes("64,32", v, 4) == 2 && v[0] == 64 && v[1] == 32, "64,32");
    tap_ok(l2d_parse_sizes(" 128 , 7 ,1 ", v, 4) == 3 && v[0] == 128 && v[1] == 7 && v[2] == 1,
           "spaces allowed");
    tap_ok(l2d_parse_sizes("5", v, 1) == 1 && v[0] == 5, "single size");
    tap_ok(l2d_parse_sizes("", v, 4) == 0, "empty string: no sizes");
    tap_ok(l2d_parse_sizes("   ", v, 4) == 0, "blank string: no sizes");
    tap_ok(l2d_parse_sizes("0", v, 4) == -1, "zero rejected");
    tap_ok(l2d_parse_sizes("4,-2", v, 4) == -1, "negative rejected");
    tap_ok(l2d_parse_sizes("+4", v, 4) == -1, "sign rejected");
    tap_ok(l2d_parse_sizes("4x", v, 4) == -1, "junk after a number rejected");
    tap_ok(l2d_parse_sizes("4,,5", v, 4) == -1, "empty item rejected");
    tap_ok(l2d_parse_sizes("4,", v, 4) == -1, "trailing comma rejected");
    tap_ok(l2d_parse_sizes("1,2,3,4,5", v, 4) == -1, "too many rejected");
    tap_ok(l2d_parse_sizes("99999999999999999999999", v, 4) == -1, "overflow rejected");
    tap_ok(l2d_parse_sizes("4 5", v, 4) == -1, "missing comma rejected");
    return tap_done();
}
