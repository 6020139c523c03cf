package db

// Page selects a window of an ordered list.
type Page struct {
	Limit  int
	Offset int
}
