package mask

import "testing"

func TestMask(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"mobile", Phone, "13812345678", "138****5678"},
		{"landline", Phone, "0311-87654321", "*********4321"},
		{"empty phone", Phone, "", ""},
		{"short phone", Phone, "123", "***"},
		{"bank 19", Bank, "6228480012345678901", "**** **** **** 8901"},
		{"bank short", Bank, "12", "**"},
		{"name 3", Name, "张小明", "张*明"},
		{"name 2", Name, "李四", "李*"},
		{"name 4", Name, "欧阳小明", "欧**明"},
		{"name 1", Name, "王", "王"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.fn(c.in); got != c.want {
				t.Fatalf("got %q want %q", got, c.want)
			}
		})
	}
}
