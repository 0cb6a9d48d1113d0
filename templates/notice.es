Subject: Ausencia: ${subject}

Hola:

${name} está ausente hasta el ${until} y leerá su mensaje a su regreso.
${?delegates}Mientras tanto, su mensaje se ha enviado a ${delegates}.

Este es un aviso automático que cada remitente recibe una sola vez. Por favor, no responda a él.
