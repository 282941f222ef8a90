;;; test.el --- Emacs --batch + eglot end-to-end test of djmig  -*- lexical-binding: t -*-
;; Usage: emacs --batch -l test.el ROOT/orders/migrations/0002_order_number.py ROOT/reviews/models.py
;; The first file's DM201 is fixed by an edit; the second's DM401 by "Create migration", a
;; command for eglot (it cannot create files): the server writes the migration.
;; env: DJMIG_REPO (repository: loads clients/emacs/djmig.el), DJMIG_RESULT (JSON out)
;; Batch-mode workarounds (eglot 1.9 on Emacs 28): `eglot-ensure' and flymake wait for a
;; command loop, idle timers never fire, and the action menu reads from a popup or stdin.
(require 'package)
(package-initialize)                    ; activates Debian's elpa-eglot
(require 'eglot)
(require 'flymake)
(require 'json)

(defvar djmig-test-result (getenv "DJMIG_RESULT"))
(defvar djmig-test-timeout (string-to-number (or (getenv "DJMIG_TIMEOUT") "30")))
(defvar djmig-test-file (expand-file-name (car command-line-args-left)))
(defvar djmig-test-models (expand-file-name (cadr command-line-args-left)))
(defvar djmig-test-fix "Add reverse noop")
(setq command-line-args-left nil)       ; don't let Emacs visit the file itself

;; The documented set-up (clients/emacs/README.md).
(load (expand-file-name "clients/emacs/djmig.el" (getenv "DJMIG_REPO")) nil t)
(setq eglot-send-changes-idle-time 0.1)

(defvar djmig-test-t0 (float-time))
(defvar djmig-test-steps nil)
(defun djmig-test-ms () (round (* 1000 (- (float-time) djmig-test-t0))))
(defun djmig-test-step (name data)
  (push `((name . ,name) (t_ms . ,(djmig-test-ms)) (data . ,data)) djmig-test-steps))

(defun djmig-test-finish (ok &optional err)
  (with-temp-file djmig-test-result
    (insert (json-encode `((ok . ,(if ok t :json-false))
                           (error . ,err)
                           (emacs . ,emacs-version)
                           (total_ms . ,(djmig-test-ms))
                           (steps . ,(vconcat (reverse djmig-test-steps)))))))
  (ignore-errors (let ((s (eglot-current-server))) (when s (eglot-shutdown s))))
  (kill-emacs (if ok 0 1)))

(defun djmig-test-wait (pred)
  "Pump process output and idle timers (as if the user paused) until PRED."
  (let ((deadline (+ (float-time) djmig-test-timeout))
        (next-idle (+ (float-time) 0.2)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      (when (> (float-time) next-idle)
        (dolist (timer (copy-sequence timer-idle-list)) (timer-event-handler timer))
        (setq next-idle (+ (float-time) 0.2))))
    (funcall pred)))

(defun djmig-test-diagnostics ()
  (vconcat (mapcar (lambda (d)
                     `((line . ,(line-number-at-pos (flymake-diagnostic-beg d)))
                       (type . ,(symbol-name (flymake-diagnostic-type d)))
                       (text . ,(flymake-diagnostic-text d))))
                   (flymake-diagnostics))))

(defun djmig-test-finding (code)
  "The flymake diagnostic of CODE in the current buffer."
  (cl-find-if (lambda (d) (string-match-p code (flymake-diagnostic-text d)))
              (flymake-diagnostics)))

(defun djmig-test-dm201 ()
  "The flymake diagnostic of DM201, the one this test fixes."
  (djmig-test-finding "DM201"))

(defun djmig-test-pick (prefix)
  "Run the code action whose title starts with PREFIX from the menu, as a keyboard user
would; return the title picked."
  (let ((last-nonmenu-event ?\r) picked)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt collection &rest _)
                 (setq picked (cl-find-if (lambda (c) (string-prefix-p prefix c))
                                          (mapcar (lambda (c) (if (consp c) (car c) c)) collection))))))
      (eglot-code-actions (line-beginning-position) (line-end-position) "quickfix" t))
    picked))

(defun djmig-test-fixed-p ()
  (save-excursion
    (goto-char (point-min))
    (search-forward "assign_order_numbers, migrations.RunPython.noop" nil t)))

(defun djmig-test-main ()
  (find-file djmig-test-file)
  (djmig-test-step "buffer" `((file . ,buffer-file-name) (mode . ,(symbol-name major-mode))))
  (apply #'eglot (eglot--guess-contact))
  (unless (djmig-test-wait (lambda () (bound-and-true-p eglot--managed-mode)))
    (djmig-test-finish nil "eglot did not manage the buffer"))
  (let ((server (eglot-current-server)))
    (djmig-test-step "managed" `((server . ,(plist-get (eglot--server-info server) :name))
                                 (root . ,(project-root (eglot--project server)))
                                 (command . ,(vconcat (process-command (jsonrpc--process server)))))))
  (unless (djmig-test-wait (lambda () (or (djmig-test-dm201) (progn (flymake-start) nil))))
    (djmig-test-finish nil "timeout waiting for flymake diagnostics"))
  (djmig-test-step "diagnostics" (djmig-test-diagnostics))
  ;; code actions on the diagnostic's line, point at its start (like M-x eglot-code-actions)
  (goto-char (flymake-diagnostic-beg (djmig-test-dm201)))
  (let ((actions (eglot-code-actions (line-beginning-position) (line-end-position))))
    (djmig-test-step "code_actions" (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
    (unless actions (djmig-test-finish nil "no code actions")))
  (djmig-test-step "picked" (djmig-test-pick djmig-test-fix))
  (unless (djmig-test-wait #'djmig-test-fixed-p)
    (djmig-test-finish nil "code action edit not applied"))
  (djmig-test-step "applied" `((line . ,(buffer-substring-no-properties
                                          (line-beginning-position) (line-end-position)))))
  (save-buffer)
  (unless (djmig-test-wait (lambda () (null (djmig-test-dm201))))
    (djmig-test-finish nil "DM201 still reported after the fix"))
  (djmig-test-step "cleared" (djmig-test-diagnostics))
  ;; DM401 in a models module: "Create migration" is a command here (no file creation)
  (find-file djmig-test-models)
  (unless (djmig-test-wait (lambda () (bound-and-true-p eglot--managed-mode)))
    (djmig-test-finish nil "eglot did not manage the models buffer"))
  (unless (djmig-test-wait (lambda () (or (djmig-test-finding "DM401")
                                          (progn (flymake-start) nil))))
    (djmig-test-finish nil "timeout waiting for DM401"))
  (djmig-test-step "models_diagnostics" (djmig-test-diagnostics))
  (goto-char (flymake-diagnostic-beg (djmig-test-finding "DM401")))
  (djmig-test-step "models_actions"
                   (vconcat (mapcar (lambda (a) (plist-get a :title))
                                    (eglot-code-actions (line-beginning-position)
                                                        (line-end-position)))))
  (djmig-test-step "create_picked" (djmig-test-pick "Create migration"))
  (unless (djmig-test-wait (lambda () (null (djmig-test-finding "DM401"))))
    (djmig-test-finish nil "DM401 still reported after Create migration"))
  (djmig-test-step "created" (djmig-test-diagnostics))
  (djmig-test-finish t))

(condition-case err
    (djmig-test-main)
  (error (djmig-test-finish nil (format "lisp error: %S" err))))
