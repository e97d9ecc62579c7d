package exams

import (
	"context"
	"sync"

	"dibao/internal/exam"
	"dibao/internal/store"
)

// memo keeps what never changes once written, so that exam day does not
// read and decode it on every request: an exam with its frozen paper (the
// store has no statement that changes an exam), and an attempt's candidate
// and answer slots (its items are a snapshot). What does change — an
// attempt's status, its answers — is always read from the store, and
// every check that depends on it (open, before the deadline, the
// candidate's own) is made again in the write transaction.
type memo struct {
	mu     sync.Mutex
	exams  map[int64]store.Exam
	sheets map[int64]answerSheet
}

// answerSheet is an attempt's candidate and answer slots.
type answerSheet struct {
	person int64
	slots  []exam.Slot
}

// memoMax bounds each map; a full map is dropped and refilled (a day's
// exams and their open attempts fit many times over).
const memoMax = 100_000

func (m *memo) exam(id int64) (store.Exam, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.exams[id]
	return e, ok
}

func (m *memo) putExam(e store.Exam) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exams == nil || len(m.exams) >= memoMax {
		m.exams = map[int64]store.Exam{}
	}
	m.exams[e.ID] = e
}

func (m *memo) sheet(id int64) (answerSheet, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sheets[id]
	return s, ok
}

func (m *memo) putSheet(a store.Attempt) answerSheet {
	s := answerSheet{person: a.PersonID, slots: make([]exam.Slot, len(a.Items))}
	for i, it := range a.Items {
		s.slots[i] = it.Slot()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sheets == nil || len(m.sheets) >= memoMax {
		m.sheets = map[int64]answerSheet{}
	}
	m.sheets[a.ID] = s
	return s
}

// exam reads an exam through the memo. The returned exam's paper is
// shared: callers must not modify it.
func (s *Service) exam(ctx context.Context, id int64) (store.Exam, error) {
	if e, ok := s.memo.exam(id); ok {
		return e, nil
	}
	e, err := s.DB.Exam(ctx, id)
	if err != nil {
		return e, err
	}
	s.memo.putExam(e)
	return e, nil
}

// sheet reads an attempt's candidate and slots through the memo.
func (s *Service) sheet(ctx context.Context, attemptID int64) (answerSheet, error) {
	if sh, ok := s.memo.sheet(attemptID); ok {
		return sh, nil
	}
	a, err := s.DB.Attempt(ctx, attemptID)
	if err != nil {
		return answerSheet{}, err
	}
	return s.memo.putSheet(a), nil
}
