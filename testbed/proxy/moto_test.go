package proxy

import (
	"testing"

	"github.com/amiaudit/amiaudit/testbed/moto"
)

// motoURL is the test binary's shared, patched moto. Tests keep apart by
// account and region (and by a proxy each) instead of restarting it.
func motoURL(t *testing.T) string {
	t.Helper()
	return moto.Shared(t).URL()
}
