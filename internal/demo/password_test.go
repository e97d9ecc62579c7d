package demo

import (
	"testing"

	"dibao/internal/access"
)

// The demo accounts obey the password policy like any other account.
func TestDemoPasswordsMeetPolicy(t *testing.T) {
	for _, a := range Accounts() {
		if err := access.CheckPolicy(a.Password, a.Username); err != nil {
			t.Errorf("demo account %s: %v", a.Username, err)
		}
	}
}
