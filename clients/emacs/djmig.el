;;; djmig.el --- djmig (Django migrations language server) for eglot and lsp-mode  -*- lexical-binding: t -*-

;; Load this file from your init file: (load "/path/to/djmig/clients/emacs/djmig.el")
;; then M-x eglot (or eglot-ensure in python-mode-hook), or M-x lsp with lsp-mode.
;; Works with Emacs 28+ and eglot 1.9+ (Debian's elpa-eglot, GNU ELPA, built into Emacs 29).

;;; Code:

(require 'cl-lib)
(require 'project)

(defgroup djmig nil
  "The djmig language server for Django migrations."
  :group 'tools)

(defcustom djmig-server-command nil
  "Command that starts the server, e.g. (\"/path/to/djmig\" \"serve\").
Nil: the project's .venv/bin/djmig or venv/bin/djmig, else djmig on
`exec-path' (e.g. activated with pyvenv), else python3 -m djmig serve."
  :type '(choice (const :tag "Discover" nil) (repeat string)))

(defcustom djmig-initialization-options nil
  "Options overriding [tool.djmig] in pyproject.toml, as a plist.
Keys: :select, :ignore, :severity, :exclude, :settingsModule,
:interpreter, :databaseUrl."
  :type 'plist)

(defun djmig-project-root (&optional dir)
  "The Django project containing DIR: the nearest directory with manage.py,
else with pyproject.toml."
  (let ((dir (or dir default-directory)))
    (when-let ((root (or (locate-dominating-file dir "manage.py")
                         (locate-dominating-file dir "pyproject.toml"))))
      (file-name-as-directory (expand-file-name root)))))

(defun djmig-server-command (&optional root)
  "The server command for the project at ROOT."
  (or djmig-server-command
      (let ((root (or root (djmig-project-root))))
        (or (cl-loop for venv in '(".venv" "venv")
                     for djmig = (and root (expand-file-name (concat venv "/bin/djmig") root))
                     when (and djmig (file-executable-p djmig)) return (list djmig "serve"))
            (when-let ((djmig (executable-find "djmig"))) (list djmig "serve"))
            (list "python3" "-m" "djmig" "serve")))))

;;;; eglot

;; eglot's workspace is `project-current'.  A Django project inside a larger repository
;; (or outside version control) would otherwise get the wrong root: let eglot (and only
;; eglot, through `eglot-lsp-context') see the directory with manage.py as the project.
(defun djmig-project-find (dir)
  (when (bound-and-true-p eglot-lsp-context)
    (when-let ((root (djmig-project-root dir)))
      (and (file-exists-p (expand-file-name "manage.py" root))
           (cons 'djmig root)))))

(cl-defmethod project-root ((project (head djmig)))
  (cdr project))

(add-hook 'project-find-functions #'djmig-project-find)

(defun djmig-eglot-contact (&optional _interactive)
  "eglot contact: djmig serve, with `djmig-initialization-options'."
  (append (djmig-server-command)
          (when djmig-initialization-options
            (list :initializationOptions djmig-initialization-options))))

(with-eval-after-load 'eglot
  ;; eglot runs one server per buffer: djmig for python-mode (and python-ts-mode).
  (add-to-list 'eglot-server-programs
               '((python-mode python-ts-mode) . djmig-eglot-contact)))

;;;; lsp-mode (runs beside another Python server: :add-on? t)

(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp-activate-on "lsp-mode")
(declare-function lsp-workspace-root "lsp-mode")

(with-eval-after-load 'lsp-mode
  (when (fboundp 'lsp-register-client)
    (lsp-register-client
     (make-lsp-client
      :new-connection (lsp-stdio-connection (lambda () (djmig-server-command (lsp-workspace-root))))
      :activation-fn (lsp-activate-on "python")
      :server-id 'djmig
      :add-on? t
      :priority -1
      :initialization-options (lambda () djmig-initialization-options)))))

(provide 'djmig)
;;; djmig.el ends here
