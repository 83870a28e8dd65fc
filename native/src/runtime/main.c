#include <stdio.h>
int main (void) { fputs ("wharf-runtime: not built yet\n", stderr); return 1; }
