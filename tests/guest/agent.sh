#!/bin/sh
# Command agent on a serial port. The host writes one line per command,
# "ID BASE64-SCRIPT"; the agent runs the script and answers
#   @@BEGIN ID
#   <base64 of the combined output>
#   @@END ID EXIT-STATUS
# A line that does not decode is answered with exit status 254.

port=$1
stty -F "$port" raw -echo 2>/dev/null
exec 3<>"$port"
echo "@@READY" >&3
while IFS= read -r line <&3; do
	id=${line%% *}
	if echo "${line#* }" | base64 -d >/tmp/.agent-cmd 2>/dev/null; then
		(cd /root && sh /tmp/.agent-cmd) >/tmp/.agent-out 2>&1 </dev/null
		rc=$?
	else
		echo "agent: cannot decode command" >/tmp/.agent-out
		rc=254
	fi
	{
		echo "@@BEGIN $id"
		base64 /tmp/.agent-out
		echo "@@END $id $rc"
	} >&3
done
