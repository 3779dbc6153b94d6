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
      // Read by the server at start: the `--list` and `--table` data.
      initializationOptions: {
        lists: config.get('lists', {}),
        tables: config.get('tables', {}),
      },
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
