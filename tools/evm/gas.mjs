// Gas of verifying proofs on the Ethereum Virtual Machine (used by chasm.experiments.evm).
//
// usage: node gas.mjs VERIFIER.sol CALLDATA.hex [CALLDATA.hex ...]
//
// Compiles the Solidity verifier with solc-js (optimizer on, 1 run, EVM version cancun), deploys it in an
// in-memory EVM (ethereumjs, Prague rules: the rules of Ethereum mainnet since May 2025), calls it once
// with each calldata file (hex, selector included) and prints one JSON object: the solc and EVM versions,
// the runtime code size (bytes), the deployment's execution gas and, per call, the execution gas (the
// EVM's own count, without the transaction's intrinsic 21,000 and calldata gas), the return data and
// any exception. Nothing is read from or sent to a network.
import fs from 'fs';
import solc from 'solc';
import { createEVM } from '@ethereumjs/evm';
import { Common, Mainnet, Hardfork } from '@ethereumjs/common';
import { hexToBytes, bytesToHex, createAddressFromString } from '@ethereumjs/util';

const [src, ...calldata] = process.argv.slice(2);
const input = {
  language: 'Solidity',
  sources: { 'Verifier.sol': { content: fs.readFileSync(src, 'utf8') } },
  settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun',
              outputSelection: { '*': { '*': ['evm.bytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  console.error(errors.map((e) => e.formattedMessage).join('\n'));
  process.exit(2);
}
const [name] = Object.keys(out.contracts['Verifier.sol']);
const code = out.contracts['Verifier.sol'][name].evm.bytecode.object;
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });
const evm = await createEVM({ common });
const caller = createAddressFromString('0x' + '11'.repeat(20));
const deployed = await evm.runCall({ caller, data: hexToBytes('0x' + code), gasLimit: 10n ** 9n });
if (deployed.execResult.exceptionError) {
  console.error('deployment failed: ' + deployed.execResult.exceptionError.error);
  process.exit(3);
}
const to = deployed.createdAddress;
const calls = [];
for (const file of calldata) {
  const res = await evm.runCall({ caller, to, data: hexToBytes(fs.readFileSync(file, 'utf8').trim()),
                                  gasLimit: 10n ** 9n });
  calls.push({ exec_gas: Number(res.execResult.executionGasUsed),
               error: res.execResult.exceptionError ? String(res.execResult.exceptionError.error) : null,
               returned: bytesToHex(res.execResult.returnValue) });
}
console.log(JSON.stringify({
  contract: name, solc_version: solc.version(), evm_package: JSON.parse(fs.readFileSync(new URL('./node_modules/@ethereumjs/evm/package.json', import.meta.url))).version,
  hardfork: common.hardfork(), runtime_bytes: (await evm.stateManager.getCode(to)).length,
  deploy_exec_gas: Number(deployed.execResult.executionGasUsed), calls,
}));
