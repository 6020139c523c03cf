package rxpdf_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/galeno-health/galeno/impl/rxpdf"
)

// tool finds a poppler command; CI installs poppler-utils, so there a missing one fails the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: .ci/run installs poppler-utils", name)
		}
		t.Skipf("%s not installed (apt-get install -y poppler-utils)", name)
	}
	return path
}

// save writes the PDF to a file of the test's temporary folder for the poppler commands.
func save(t *testing.T, pdf []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rx.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// run returns what the poppler command prints about the PDF, its output sent to standard output.
func run(t *testing.T, pdf []byte, name string, args ...string) string {
	t.Helper()
	bin := tool(t, name)
	out, err := exec.Command(bin, append(args, save(t, pdf), "-")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// text is the PDF's text as pdftotext reads it, pages from first to last (0 for the end).
func text(t *testing.T, pdf []byte, first, last int) string {
	t.Helper()
	args := []string{"-enc", "UTF-8", "-f", strconv.Itoa(first)}
	if last > 0 {
		args = append(args, "-l", strconv.Itoa(last))
	}
	return run(t, pdf, "pdftotext", args...)
}

// info is pdfinfo's page count and size of the first page.
func info(t *testing.T, pdf []byte) (pages int, size string) {
	t.Helper()
	bin := tool(t, "pdfinfo")
	out, err := exec.Command(bin, save(t, pdf)).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(string(out))
	s := regexp.MustCompile(`(?m)^Page size:\s+(.+)$`).FindStringSubmatch(string(out))
	if m == nil || s == nil {
		t.Fatalf("pdfinfo output without pages or size:\n%s", out)
	}
	pages, _ = strconv.Atoi(m[1])
	return pages, strings.TrimSpace(s[1])
}

// words folds whitespace so a check does not depend on where a line wrapped.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// contains fails the test for each expected phrase the text lacks.
func contains(t *testing.T, got string, want ...string) {
	t.Helper()
	flat := words(got)
	for _, w := range want {
		if !strings.Contains(flat, w) {
			t.Errorf("PDF text lacks %q; text:\n%s", w, got)
		}
	}
}

// sample is a complete prescription with the platform's documented values.
func sample() rxpdf.Document {
	return rxpdf.Document{
		Hospital: rxpdf.Hospital{
			Name:     "Consultorio",
			Patron:   "Consultorio de la Dra. Matilde Montoya",
			Location: "Nombre de la Calle, Colonia, CP 06500, Alcaldía Cuauhtémoc, Estado",
			Contact:  "hola@prescrypto.com",
			Headline: "Atención pediátrica",
		},
		Medic: rxpdf.Medic{
			Name: "Matilde Montoya", Specialty: "Pediatría", CedulaProf: "1234567",
			SpecialtyNo: "7654321", AlmaMater: "Universidad Nacional Autónoma de México", Female: true,
		},
		Patient: rxpdf.Patient{
			Name: "Ely Núñez", Email: "ely@example.com", Gender: "F",
			DateOfBirth: time.Date(2000, 3, 13, 0, 0, 0, 0, time.UTC),
		},
		Diagnosis:     "Faringitis aguda",
		ShowDiagnosis: true,
		Extras:        "Reposo e hidratación abundante.",
		Medications: []rxpdf.Medication{
			{Presentation: "Aspirina 30 Tabletas (Ácido Acetilsalicílico 100 mg)", Instructions: "Tomar una cada 8 horas",
				DrugUPC: "1234567890", Category: "standard_drug", Qty: 1},
			{Presentation: "Amoxicilina 500 mg cápsulas", Instructions: "Una cápsula cada 12 horas por 7 días",
				Category: "antibiotic", Qty: 2},
		},
		Issued:    time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC),
		Signature: strings.Repeat("ab12", 16),
		VerifyURL: "https://galeno.example/api/v2/rx/verify/" + strings.Repeat("ab12", 16) + "/",
	}
}

// render renders d and fails the test unless the answer is a PDF.
func render(t *testing.T, d rxpdf.Document) []byte {
	t.Helper()
	pdf, err := rxpdf.Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("Render returned no PDF: %q", pdf[:min(len(pdf), 20)])
	}
	return pdf
}

func TestRenderLetterPrintsThePrescription(t *testing.T) {
	d := sample()
	pdf := render(t, d)
	got := text(t, pdf, 1, 0)
	contains(t, got,
		"Consultorio de la Dra. Matilde Montoya", "Atención pediátrica",
		"Nombre de la Calle, Colonia, CP 06500, Alcaldía Cuauhtémoc, Estado", "hola@prescrypto.com",
		"Dra. Matilde Montoya", "Pediatría", "Cédula profesional: 1234567", "Cédula de especialidad: 7654321",
		"Universidad Nacional Autónoma de México",
		"Paciente: Ely Núñez", "Fecha de nacimiento: 13/03/2000 (26 años)", "Sexo: Femenino", "ely@example.com",
		"Diagnóstico:", "Faringitis aguda",
		"1. Aspirina 30 Tabletas (Ácido Acetilsalicílico 100 mg) — Cantidad: 1", "Tomar una cada 8 horas",
		"Código: 1234567890", "2. Amoxicilina 500 mg cápsulas — Cantidad: 2", "Una cápsula cada 12 horas por 7 días",
		"Categoría: antibiotic", "Reposo e hidratación abundante.",
		"Fecha: 4 de diciembre de 2026", d.Signature, "Página 1 de 1")
	if !strings.Contains(strings.Join(strings.Fields(got), ""), d.VerifyURL) {
		t.Errorf("PDF text lacks the verification URL %s:\n%s", d.VerifyURL, got)
	}
	pages, size := info(t, pdf)
	if pages != 1 || !strings.HasPrefix(size, "612 x 792 pts") {
		t.Errorf("letter prescription: %d pages of %q, want 1 page of 612 x 792 pts (letter)", pages, size)
	}
}

// The server renders for many requests at once: concurrent renders must not disturb each other.
func TestRenderDeterministicAndConcurrent(t *testing.T) {
	want := render(t, sample())
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = rxpdf.Render(sample()) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !bytes.Equal(got[i], want) {
			t.Errorf("render %d: %v; same bytes as the first render: %v", i, errs[i], bytes.Equal(got[i], want))
		}
	}
}

func TestRenderHeaderFallsBackToTheHospitalName(t *testing.T) {
	d := sample()
	d.Hospital.Patron = ""
	d.Hospital.Name = "Clínica San Ángel"
	contains(t, text(t, render(t, d), 1, 0), "Clínica San Ángel")
}

func TestRenderMaleMedicAndHiddenDiagnosis(t *testing.T) {
	d := sample()
	d.Medic.Female = false
	d.Medic.Name = "Ignacio Chávez"
	d.ShowDiagnosis = false
	got := words(text(t, render(t, d), 1, 0))
	if !strings.Contains(got, "Dr. Ignacio Chávez") || strings.Contains(got, "Dra. Ignacio") {
		t.Errorf("male medic not titled Dr.:\n%s", got)
	}
	if strings.Contains(got, "Faringitis") || strings.Contains(got, "Diagnóstico") {
		t.Errorf("diagnosis printed although ShowDiagnosis is false:\n%s", got)
	}
}

func TestRenderHalfLetterWithInfoPage(t *testing.T) {
	d := sample()
	d.Hospital.HalfLetter = true
	d.Hospital.Info = "Horario de atención: lunes a viernes.\nEn caso de urgencia acuda al hospital más cercano."
	pdf := render(t, d)
	pages, size := info(t, pdf)
	if pages != 2 || !strings.HasPrefix(size, "396 x 612 pts") {
		t.Fatalf("half-letter prescription with info: %d pages of %q, want 2 pages of 396 x 612 pts", pages, size)
	}
	first, second := text(t, pdf, 1, 1), text(t, pdf, 2, 2)
	contains(t, first, "Dra. Matilde Montoya", "Tomar una cada 8 horas", d.Signature)
	if strings.Contains(first, "Horario de atención") {
		t.Errorf("info text on the prescription page:\n%s", first)
	}
	contains(t, second, "Consultorio de la Dra. Matilde Montoya", "Información adicional",
		"Horario de atención: lunes a viernes.", "En caso de urgencia acuda al hospital más cercano.", "Página 2 de 2")
	if strings.Contains(second, "Aspirina") {
		t.Errorf("medications on the info page:\n%s", second)
	}

	d.Hospital.Info = ""
	if pages, _ := info(t, render(t, d)); pages != 1 {
		t.Errorf("without info: %d pages, want 1", pages)
	}
}

func TestRenderQRCodeDecodesToVerifyURL(t *testing.T) {
	for _, half := range []bool{false, true} {
		d := sample()
		d.Hospital.HalfLetter = half
		pdf := render(t, d)
		bin := tool(t, "pdftoppm")
		dir := t.TempDir()
		if out, err := exec.Command(bin, "-r", "200", "-png", "-gray", "-singlefile", save(t, pdf), filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		f, err := os.Open(filepath.Join(dir, "page.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		// gozxing, a port of ZXing, decodes the printed page independently of the encoder that drew it.
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
		if err != nil {
			t.Fatalf("half letter %v: no QR code found on the page: %v", half, err)
		}
		if res.GetText() != d.VerifyURL {
			t.Errorf("half letter %v: QR code says %q, want %q", half, res.GetText(), d.VerifyURL)
		}
	}
}

func TestRenderWithoutVerifyURLHasNoQRCode(t *testing.T) {
	d := sample()
	d.VerifyURL = ""
	got := words(text(t, render(t, d), 1, 0))
	if strings.Contains(got, "código QR") {
		t.Errorf("QR invitation printed without a verification URL:\n%s", got)
	}
	contains(t, got, d.Signature)
}

func TestRenderBadInputDoesNotPanic(t *testing.T) {
	long := strings.Repeat("Tomar con abundante agua después de cada comida. ", 600)
	word := strings.Repeat("Ñ", 3000)
	many := make([]rxpdf.Medication, 120)
	for i := range many {
		many[i] = rxpdf.Medication{Presentation: "Paracetamol " + strconv.Itoa(i+1), Instructions: "Cada 6 horas", Qty: i}
	}
	cases := map[string]func(*rxpdf.Document){
		"no medications":    func(d *rxpdf.Document) { d.Medications = nil },
		"empty document":    func(d *rxpdf.Document) { *d = rxpdf.Document{} },
		"long instructions": func(d *rxpdf.Document) { d.Medications[0].Instructions = long },
		"long word": func(d *rxpdf.Document) {
			d.Hospital.Patron, d.Medic.Name, d.Medications[0].Presentation, d.Diagnosis = word, word, word, word
			d.Signature = strings.Repeat("f", 5000)
		},
		"many medications": func(d *rxpdf.Document) { d.Medications = many },
		"odd characters": func(d *rxpdf.Document) {
			d.Patient.Name = "Ana \xff\xfe 李 💊 \x00\t\r\nPérez"
			d.Extras = "línea\r\nsiguiente\x07"
		},
		"long info page":      func(d *rxpdf.Document) { d.Hospital.Info = long; d.Hospital.HalfLetter = true },
		"birth after issue":   func(d *rxpdf.Document) { d.Patient.DateOfBirth = d.Issued.AddDate(1, 0, 0) },
		"unknown gender code": func(d *rxpdf.Document) { d.Patient.Gender = "X" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			d := sample()
			change(&d)
			pdf := render(t, d)
			got := text(t, pdf, 1, 0)
			pages, _ := info(t, pdf)
			switch name {
			case "no medications":
				contains(t, got, "Sin medicamentos prescritos.")
			case "long instructions", "many medications", "long info page":
				if pages < 2 {
					t.Errorf("%d pages, want the text continued on further pages", pages)
				}
				if name == "many medications" {
					contains(t, got, "120. Paracetamol 120 — Cantidad: 119", d.Signature)
				}
			case "long word":
				if strings.Count(got, "Ñ") < 3*3000 {
					t.Errorf("a long word lost characters: %d Ñ printed", strings.Count(got, "Ñ"))
				}
			case "odd characters":
				contains(t, got, "Ana ? ? ? Pérez", "línea siguiente")
			case "birth after issue":
				contains(t, got, "Fecha de nacimiento: 04/12/2027")
				if strings.Contains(got, "años") {
					t.Errorf("age printed for a birth after the date of issue:\n%s", got)
				}
			case "unknown gender code":
				contains(t, got, "Sexo: X")
			}
		})
	}
}

func TestRenderRejectsAnURLTooLongForAQRCode(t *testing.T) {
	d := sample()
	d.VerifyURL = "https://galeno.example/" + strings.Repeat("x", 8000)
	if _, err := rxpdf.Render(d); err == nil || !strings.Contains(err.Error(), "rxpdf: qr code") {
		t.Errorf("Render with an 8000-byte URL: %v, want a qr code error", err)
	}
}
