// The Semáforo extension: starts `semaforo lsp` for `.sem` files.
// Plain JavaScript, no build step (see README.md).
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('semaforo');
  const command = config.get('server.path', 'semaforo');
  const server = { command, args: ['lsp'] };
  client = new LanguageClient(
    'semaforo',
    'Semáforo',
    { run: server, debug: server },
    {
      documentSelector: [{ language: 'semaforo' }],
      // The `--list` and `--table` data: read by the server at start,
      // and again whenever the `semaforo` settings change.
      initializationOptions: {
        lists: config.get('lists', {}),
        tables: config.get('tables', {}),
      },
      synchronize: { configurationSection: 'semaforo' },
    },
  );
  context.subscriptions.push(
    vscode.commands.registerCommand('semaforo.restartServer', () => client.restart()),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
