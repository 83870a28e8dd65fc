#include <stdio.h>
int main (void) { fputs ("wharf-shim: not built yet\n", stderr); return 1; }
